"""OIDC token checks: signature against a JWKS file, issuer, audience, expiry."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbus.config import OidcIssuerSettings
from nimbus.services.identity.service.federation.oidc import (
    OidcTokenRejected,
    OidcVerifier,
    assertion_from_claims,
    bearer_token,
)
from tests.api.identity.oidc_issuer import OidcIssuer


@pytest.fixture
def issuer() -> OidcIssuer:
    return OidcIssuer("https://issuer.example", "nimbus")


def settings(issuer: OidcIssuer, tmp_path: Path) -> OidcIssuerSettings:
    return OidcIssuerSettings(issuer=issuer.issuer, audience=issuer.audience,
                              jwks_file=str(issuer.write_jwks(tmp_path / "jwks.json")))


def test_a_good_token_gives_its_claims(issuer: OidcIssuer, tmp_path: Path) -> None:
    claims = OidcVerifier().claims(issuer.token("bob", groups=["a", "b"]),
                                   settings(issuer, tmp_path), [])
    assert claims["sub"] == "bob"
    assertion = assertion_from_claims(claims, "OIDC-")
    assert assertion["OIDC-sub"] == "bob" and assertion["OIDC-groups"] == "a;b"
    assert assertion["OIDC-iss"] == issuer.issuer


@pytest.mark.parametrize("claims", [{"lifetime": -5}, {"aud": "other"},
                                    {"iss": "https://other.example"}])
def test_bad_claims_are_rejected(issuer: OidcIssuer, tmp_path: Path, claims: dict) -> None:
    with pytest.raises(OidcTokenRejected) as err:
        OidcVerifier().claims(issuer.token(**claims), settings(issuer, tmp_path), [])
    assert err.value.status == 401


def test_a_token_of_another_key_is_rejected(issuer: OidcIssuer, tmp_path: Path) -> None:
    forged = OidcIssuer(issuer.issuer, issuer.audience).token(key=None)
    with pytest.raises(OidcTokenRejected):
        OidcVerifier().claims(forged, settings(issuer, tmp_path), [])


def test_without_issuer_setting_the_remote_ids_are_the_accepted_issuers(
        issuer: OidcIssuer, tmp_path: Path) -> None:
    conf = settings(issuer, tmp_path)
    conf.issuer = ""
    assert OidcVerifier().claims(issuer.token(), conf, [issuer.issuer])["iss"] == issuer.issuer
    with pytest.raises(OidcTokenRejected):
        OidcVerifier().claims(issuer.token(), conf, [])


def test_bearer_header() -> None:
    assert bearer_token({"authorization": "Bearer abc"}) == "abc"
    with pytest.raises(Exception) as err:
        bearer_token({})
    assert getattr(err.value, "status", None) == 401
