"""OAuth 1.0a (OS-OAUTH1): request schemas, views and the form-encoded token answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.identity.models import OAuthAccessToken, OAuthConsumer, Role
from nimbus.services.identity.schemas import DESCRIPTION, NAME
from nimbus.services.identity.schemas.appcreds import ID_STRING
from nimbus.services.identity.service.common import isotime
from nimbus.services.identity.service.oauth1 import IssuedToken
from nimbus.services.identity.service.oauth1_signing import SignedRequest

CONSUMER_CREATE = {"type": "object", "properties": {"description": DESCRIPTION}}
CONSUMER_UPDATE = {"type": "object", "properties": {"description": DESCRIPTION},
                   "not": {"required": ["secret"]}, "minProperties": 1}
AUTHORIZE_ROLES = {
    "type": "array",
    "items": {"type": "object", "properties": {"id": ID_STRING, "name": NAME},
              "minProperties": 1, "maxProperties": 1, "additionalProperties": False},
}
FORM = "application/x-www-form-urlencoded"


def signed_request(req: ApiRequest) -> SignedRequest:
    """The request as its client signed it: the URL it reached, with the scheme the
    service root is known by (behind a TLS proxy), as Keystone checks it."""
    parts = urlsplit(req.url)
    url = urlunsplit((urlsplit(req.base_url).scheme, *parts[1:]))
    return SignedRequest(url, req.method, req.headers)


def link(req: ApiRequest, *parts: str) -> str:
    return "/".join([req.base_url, "v3", *parts])


def consumer_view(req: ApiRequest, row: OAuthConsumer,
                  with_secret: bool = False) -> dict[str, Any]:
    view = {**(row.extra or {}), "id": row.id, "description": row.description,
            "links": {"self": link(req, "OS-OAUTH1", "consumers", row.id)}}
    if with_secret:
        view["secret"] = row.secret
    return view


def access_token_view(req: ApiRequest, row: OAuthAccessToken) -> dict[str, Any]:
    base = link(req, "users", row.authorizing_user_id, "OS-OAUTH1", "access_tokens", row.id)
    return {"id": row.id, "consumer_id": row.consumer_id, "project_id": row.project_id,
            "authorizing_user_id": row.authorizing_user_id,
            "expires_at": isotime(row.expires_at),
            "links": {"self": base, "roles": base + "/roles"}}


def token_role_view(req: ApiRequest, role: Role) -> dict[str, Any]:
    """A role as the access-token role calls show it (Keystone drops the description)."""
    return {**(role.extra or {}), "id": role.id, "name": role.name,
            "domain_id": role.domain_id or None, "options": role.options or {},
            "links": {"self": link(req, "roles", role.id)}}


def token_answer(token: IssuedToken) -> Reply:
    fields = {"oauth_token": token.id, "oauth_token_secret": token.secret}
    if token.expires_at is not None:
        fields["oauth_expires_at"] = isotime(token.expires_at) or ""
    return Reply(urlencode(fields, safe=":"), status=201, content_type=FORM)
