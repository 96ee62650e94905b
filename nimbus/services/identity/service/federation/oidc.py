"""OpenID Connect without Apache: the bearer token an OIDC protocol's auth receives is checked
here, as mod_auth_openidc checks it in front of Keystone.

``Authorization: Bearer <JWT>`` holds the ID token (or a JWT access token) of the identity
provider's issuer. Its signature is verified against the issuer's keys (a JWKS file, or a
JWKS URL fetched and cached), then ``iss``, ``aud``, ``exp`` and ``nbf``; its claims become the
mapping's assertion, each named with the configured prefix (``OIDC-sub``, ``OIDC-email``,
``OIDC-groups``), lists joined with ``;`` as Apache hands several values to Keystone.

PyJWT (with its ``crypto`` extra, i.e. ``cryptography``) does the JOSE work: it is the
well-kept, widely used JWT library, it verifies RSA, RSA-PSS, EC and EdDSA signatures, checks
the registered claims, and its PyJWKClient fetches and caches a JWKS URL; writing any of that
by hand would be the risk.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt

from nimbus.config import OidcIssuerSettings
from nimbus.services.identity.errors import AuthFailed

BEARER = "bearer "


class OidcTokenRejected(AuthFailed):
    def __init__(self, reason: str) -> None:
        super().__init__(f"The OpenID Connect token was rejected: {reason}")


def bearer_token(headers: Mapping[str, str]) -> str:
    value = headers.get("authorization") or ""
    if not value.lower().startswith(BEARER) or not value[len(BEARER):].strip():
        raise AuthFailed("This protocol needs an OpenID Connect token: "
                         "Authorization: Bearer <token>.")
    return value[len(BEARER):].strip()


class OidcVerifier:
    """Verifies tokens of the issuers configured per identity provider; JWKS URL clients are
    kept (and their keys cached by PyJWT) for the life of the process."""

    def __init__(self) -> None:
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def claims(self, token: str, settings: OidcIssuerSettings,
               accepted_issuers: list[str]) -> dict[str, Any]:
        issuers = [settings.issuer] if settings.issuer else accepted_issuers
        if not issuers:
            raise OidcTokenRejected("no issuer is configured for this identity provider")
        try:
            key = self._signing_key(token, settings)
            algorithms = [a.strip() for a in settings.algorithms.split(",") if a.strip()]
            return jwt.decode(
                token, key=key, algorithms=algorithms,
                audience=settings.audience or None, issuer=issuers,
                leeway=settings.leeway,
                options={"require": ["exp", "iss"], "verify_aud": bool(settings.audience)})
        except jwt.PyJWTError as exc:
            raise OidcTokenRejected(str(exc) or type(exc).__name__) from None

    def _signing_key(self, token: str, settings: OidcIssuerSettings) -> Any:
        if settings.jwks_url:
            return self._client(settings.jwks_url).get_signing_key_from_jwt(token).key
        if not settings.jwks_file:
            raise OidcTokenRejected("no JWKS is configured for this identity provider")
        try:
            keys = jwt.PyJWKSet.from_json(Path(settings.jwks_file).read_text())
        except OSError as exc:
            raise OidcTokenRejected(f"the issuer's keys cannot be read ({exc.strerror})") \
                from None
        except ValueError:
            raise OidcTokenRejected("the issuer's key file is no JWKS") from None
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is not None:
            try:
                return keys[kid].key
            except KeyError:
                raise OidcTokenRejected(f"no key of the issuer has the id {kid}") from None
        if len(keys.keys) == 1:
            return keys.keys[0].key
        raise OidcTokenRejected("the token names no key id and the issuer has several keys")

    def _client(self, url: str) -> jwt.PyJWKClient:
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = self._clients[url] = jwt.PyJWKClient(url, timeout=10)
            return client


def assertion_from_claims(claims: dict[str, Any], prefix: str) -> dict[str, str]:
    """Claims as the attributes a mapping's ``remote`` rules name."""
    out: dict[str, str] = {}
    for name, value in claims.items():
        if value is None:
            continue
        if isinstance(value, list):
            text = ";".join(v if isinstance(v, str) else json.dumps(v) for v in value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (dict,)):
            text = json.dumps(value, sort_keys=True)
        else:
            text = str(value)
        out[f"{prefix}{name}"] = text
    return out
