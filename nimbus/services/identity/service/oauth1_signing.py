"""OAuth 1.0a request signatures (HMAC-SHA1), checked by oauthlib as Keystone does: which
keys, tokens and verifiers look right, and which secrets sign them, come from the store.
No nonce or timestamp bookkeeping, as in Keystone."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from oauthlib import oauth1
from oauthlib.common import extract_params
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from nimbus.kernel.errors import BadRequest, Unauthorized

HEX = frozenset("abcdef0123456789")
CONFUSED = "jiIl1oO0"
VERIFIER_CHARS = "".join(c for c in string.ascii_letters + string.digits if c not in CONFUSED)
# Stand-ins for unknown keys, so a request naming one fails on its signature like any other.
DUMMY_KEY = "0" * 32
DUMMY_SECRET = "not-a-secret"


class MissingParameter(BadRequest):
    """Keystone's ValidationError for a missing attribute."""

    def __init__(self, attribute: str, target: str = "request") -> None:
        super().__init__(f"Expecting to find {attribute} in {target}. The server could not "
                         "comply with the request since it is either malformed or otherwise "
                         "incorrect. The client is assumed to be in error.")


class Store(Protocol):
    """What the validator reads: secrets by key, None when there is no such thing."""

    def consumer_secret(self, consumer_id: str) -> str | None: ...

    def request_token_facts(self, token_id: str) -> tuple[str, str, str | None] | None:
        """(consumer id, secret, verifier)."""

    def access_token_facts(self, token_id: str) -> tuple[str, str] | None:
        """(consumer id, secret)."""


@dataclass(frozen=True)
class SignedRequest:
    """An OAuth-signed HTTP request as the server received it."""

    url: str
    method: str
    headers: Mapping[str, str]

    def oauth_params(self) -> dict[str, str]:
        header = self.headers.get("authorization")
        if not header:
            raise BadRequest("No Authorization headers found, cannot proceed with OAuth "
                             "related calls.")
        try:
            return dict(parse_authorization_header(header))
        except ValueError:
            raise BadRequest("Malformed OAuth Authorization header.") from None

    def require(self, name: str) -> str:
        value = self.oauth_params().get(name)
        if not value:
            raise MissingParameter(name)
        return value

    def endpoint_args(self) -> dict[str, Any]:
        # The signed parameters travel in the Authorization header; the body is not form data.
        return {"uri": self.url, "http_method": self.method, "body": None,
                "headers": {"Authorization": self.headers.get("authorization", "")}}


class StoreValidator(oauth1.RequestValidator):  # type: ignore[misc]
    """oauthlib's questions, answered from the store with Keystone's formats: keys and
    tokens are 32 hex digits, verifiers 8 unambiguous letters and digits."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    enforce_ssl = False
    safe_characters = HEX
    dummy_client = DUMMY_KEY
    dummy_request_token = DUMMY_KEY
    dummy_access_token = DUMMY_KEY

    @staticmethod
    def _is_key(value: str) -> bool:
        return set(value) <= HEX and len(value) == 32

    def check_client_key(self, client_key: str) -> bool:
        return self._is_key(client_key)

    def check_request_token(self, request_token: str) -> bool:
        return self._is_key(request_token)

    def check_access_token(self, request_token: str) -> bool:
        return self._is_key(request_token)

    def check_nonce(self, nonce: str) -> bool:
        return set(nonce) <= HEX

    def check_verifier(self, verifier: str) -> bool:
        return len(verifier) == 8 and all(c in VERIFIER_CHARS for c in verifier)

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self.store.consumer_secret(client_key) or DUMMY_SECRET

    def get_request_token_secret(self, client_key: str, token: str, request: Any) -> str:
        facts = self.store.request_token_facts(token)
        return facts[1] if facts else DUMMY_SECRET

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        facts = self.store.access_token_facts(token)
        return facts[1] if facts else DUMMY_SECRET

    def get_default_realms(self, client_key: str, request: Any) -> list[str]:
        return []

    def get_realms(self, token: str, request: Any) -> list[str]:
        return []

    def get_redirect_uri(self, token: str, request: Any) -> str:
        return "oob"

    def get_rsa_key(self, client_key: str, request: Any) -> str:
        return ""

    def invalidate_request_token(self, client_key: str, request_token: str,
                                 request: Any) -> None:
        """The service deletes the request token when it makes the access token."""

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return self.store.consumer_secret(client_key) is not None

    def validate_request_token(self, client_key: str, token: str, request: Any) -> bool:
        facts = self.store.request_token_facts(token)
        return facts is not None and facts[0] == client_key

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        facts = self.store.access_token_facts(token)
        return facts is not None and facts[0] == client_key

    def validate_timestamp_and_nonce(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def validate_redirect_uri(self, client_key: str, redirect_uri: str, request: Any) -> bool:
        return True

    def validate_requested_realms(self, client_key: str, realms: Any, request: Any) -> bool:
        return True

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def validate_verifier(self, client_key: str, token: str, verifier: str,
                          request: Any) -> bool:
        facts = self.store.request_token_facts(token)
        return facts is not None and facts[2] is not None and facts[2] == verifier

    def verify_request_token(self, token: str, request: Any) -> bool:
        return isinstance(token, str)

    def verify_realms(self, token: str, realms: Any, request: Any) -> bool:
        return True

    def save_access_token(self, token: Any, request: Any) -> None:
        """The service stores tokens itself."""

    def save_request_token(self, token: Any, request: Any) -> None:
        """The service stores tokens itself."""

    def save_verifier(self, token: Any, verifier: Any, request: Any) -> None:
        """The service stores verifiers itself."""


def _refuse_oauth_errors(body: str | None) -> None:
    """oauthlib's error answers (``error=...&error_description=...``) as Keystone's 400."""
    params = dict(extract_params(body or "") or [])
    if "error" in params:
        raise BadRequest(f"Validation failed with errors: {params['error']}, detail message "
                         f"is: {params.get('error_description')}.")


def request_token_request_is_signed(store: Store, signed: SignedRequest) -> bool:
    endpoint = oauth1.RequestTokenEndpoint(StoreValidator(store))
    _headers, body, status = endpoint.create_request_token_response(**signed.endpoint_args())
    _refuse_oauth_errors(body if status != 200 else None)
    return status == 200 and bool(body)


def access_token_request_is_signed(store: Store, signed: SignedRequest) -> bool:
    endpoint = oauth1.AccessTokenEndpoint(StoreValidator(store))
    _headers, body, status = endpoint.create_access_token_response(**signed.endpoint_args())
    _refuse_oauth_errors(body if status != 200 else None)
    return status == 200 and bool(body)


def resource_request_is_signed(store: Store, signed: SignedRequest) -> bool:
    endpoint = oauth1.ResourceEndpoint(StoreValidator(store))
    args = signed.endpoint_args()
    valid, _request = endpoint.validate_protected_resource_request(
        args["uri"], http_method=args["http_method"], body=None, headers=args["headers"],
        realms=None)
    return bool(valid)


def invalid_signature() -> Unauthorized:
    return Unauthorized("Invalid signature")
