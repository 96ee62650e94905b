"""OAuth 1.0a signature checks against a store in memory, with requests signed by oauthlib's
client as keystoneclient and keystoneauth1 sign them."""

from __future__ import annotations

import pytest
from oauthlib import oauth1

from nimbus.kernel.errors import BadRequest
from nimbus.services.identity.service.oauth1_signing import (
    SignedRequest,
    access_token_request_is_signed,
    request_token_request_is_signed,
    resource_request_is_signed,
)

URL = "http://127.0.0.1:5000/identity/v3/OS-OAUTH1"
CONSUMER, CONSUMER_SECRET = "a" * 32, "b" * 32
REQUEST, REQUEST_SECRET, VERIFIER = "c" * 32, "d" * 32, "ABCDEFGH"
ACCESS, ACCESS_SECRET = "e" * 32, "f" * 32


class MemoryStore:
    def consumer_secret(self, consumer_id: str) -> str | None:
        return CONSUMER_SECRET if consumer_id == CONSUMER else None

    def request_token_facts(self, token_id: str) -> tuple[str, str, str | None] | None:
        return (CONSUMER, REQUEST_SECRET, VERIFIER) if token_id == REQUEST else None

    def access_token_facts(self, token_id: str) -> tuple[str, str] | None:
        return (CONSUMER, ACCESS_SECRET) if token_id == ACCESS else None


def signed(url: str, **client_args: str) -> SignedRequest:
    client = oauth1.Client(client_args.pop("key", CONSUMER),
                           signature_method=oauth1.SIGNATURE_HMAC, **client_args)
    _url, headers, _body = client.sign(url, http_method="POST")
    return SignedRequest(url, "POST", {k.lower(): v for k, v in headers.items()})


def test_request_token_requests():
    store = MemoryStore()
    url = f"{URL}/request_token"
    assert request_token_request_is_signed(
        store, signed(url, client_secret=CONSUMER_SECRET, callback_uri="oob"))
    assert not request_token_request_is_signed(
        store, signed(url, client_secret="0" * 32, callback_uri="oob"))
    # signed for another URL than the one it reached
    other = signed(url + "x", client_secret=CONSUMER_SECRET, callback_uri="oob")
    assert not request_token_request_is_signed(store, SignedRequest(url, "POST",
                                                                    other.headers))


def test_access_token_requests():
    store = MemoryStore()
    url = f"{URL}/access_token"
    good = dict(client_secret=CONSUMER_SECRET, resource_owner_key=REQUEST,
                resource_owner_secret=REQUEST_SECRET)
    assert access_token_request_is_signed(store, signed(url, verifier=VERIFIER, **good))
    assert not access_token_request_is_signed(store, signed(url, verifier="HGFEDCBA", **good))
    with pytest.raises(BadRequest, match="Validation failed with errors: invalid_request"):
        access_token_request_is_signed(store, signed(url, verifier="x" * 32, **good))


def test_resource_requests_and_missing_headers():
    store = MemoryStore()
    url = "http://127.0.0.1:5000/identity/v3/auth/tokens"
    assert resource_request_is_signed(store, signed(
        url, client_secret=CONSUMER_SECRET, resource_owner_key=ACCESS,
        resource_owner_secret=ACCESS_SECRET))
    assert not resource_request_is_signed(store, signed(
        url, client_secret=CONSUMER_SECRET, resource_owner_key=ACCESS,
        resource_owner_secret=REQUEST_SECRET))
    with pytest.raises(BadRequest, match="No Authorization headers found"):
        SignedRequest(url, "POST", {}).oauth_params()
