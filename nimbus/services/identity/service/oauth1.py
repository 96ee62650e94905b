"""OAuth 1.0a delegation (OS-OAUTH1): consumers, request tokens a user authorizes with some
of their roles on a project, access tokens the consumer exchanges them for, and the
``oauth1`` auth method, whose tokens carry only the authorized roles the user still holds.

Deleting an access token or its consumer revokes the tokens issued for it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import Forbidden, NotFound, Unauthorized
from nimbus.services.identity.errors import ResourceNotFound, TokenNotFound
from nimbus.services.identity.models import (
    OAuthAccessToken,
    OAuthConsumer,
    OAuthRequestToken,
    Role,
)
from nimbus.services.identity.service.common import bump_generation
from nimbus.services.identity.service.oauth1_signing import (
    VERIFIER_CHARS,
    MissingParameter,
    SignedRequest,
    access_token_request_is_signed,
    invalid_signature,
    request_token_request_is_signed,
    resource_request_is_signed,
)

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService
    from nimbus.services.identity.service.assignments import RoleRef
    from nimbus.services.identity.service.tokens import TokenData

DELEGATED = "Cannot authorize a request token with a token issued via delegation."
MANAGE_DELEGATED = "Cannot manage OAuth access tokens with a token issued via delegation."


def new_key() -> str:
    """Keys and secrets as Keystone makes them: 32 hex digits."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class IssuedToken:
    """A request or access token as its create call answers (form-encoded)."""

    id: str
    secret: str
    expires_at: dt.datetime | None


class OAuth1:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self.settings = identity.settings.oauth1

    # -- consumers --------------------------------------------------------------------------
    def create_consumer(self, fields: dict[str, Any]) -> OAuthConsumer:
        extra = {k: v for k, v in fields.items() if k not in ("id", "description", "secret")}
        with self.db.session() as s:
            row = OAuthConsumer(id=new_key(), secret=new_key(),
                                description=fields.get("description"), extra=extra)
            s.add(row)
            s.flush()
            return row

    def list_consumers(self) -> list[OAuthConsumer]:
        with self.db.session() as s:
            return list(s.scalars(select(OAuthConsumer).order_by(OAuthConsumer.created_at)))

    def get_consumer(self, consumer_id: str) -> OAuthConsumer:
        with self.db.session() as s:
            return self._consumer(s, consumer_id)

    def update_consumer(self, consumer_id: str, fields: dict[str, Any]) -> OAuthConsumer:
        with self.db.session() as s:
            row = self._consumer(s, consumer_id)
            if "description" in fields:
                row.description = fields["description"]
            extra = {k: v for k, v in fields.items() if k not in ("id", "description")}
            row.extra = {**(row.extra or {}), **extra}
            s.flush()
            return row

    def delete_consumer(self, consumer_id: str) -> None:
        """The consumer, its request and access tokens, and the tokens issued for them."""
        with self.db.session() as s:
            row = self._consumer(s, consumer_id)
            for model in (OAuthRequestToken, OAuthAccessToken):
                for token in s.scalars(select(model).where(model.consumer_id == row.id)):
                    s.delete(token)
            s.delete(row)
            bump_generation(s)

    @staticmethod
    def _consumer(s: Session, consumer_id: str | None) -> OAuthConsumer:
        row = s.get(OAuthConsumer, consumer_id) if consumer_id else None
        if row is None:
            raise NotFound("Consumer not found")
        return row

    # -- the store the signature checks read ------------------------------------------------
    def consumer_secret(self, consumer_id: str) -> str | None:
        with self.db.session() as s:
            row = s.get(OAuthConsumer, consumer_id)
            return row.secret if row is not None else None

    def request_token_facts(self, token_id: str) -> tuple[str, str, str | None] | None:
        with self.db.session() as s:
            row = s.get(OAuthRequestToken, token_id)
            return (row.consumer_id, row.request_secret, row.verifier) if row else None

    def access_token_facts(self, token_id: str) -> tuple[str, str] | None:
        with self.db.session() as s:
            row = s.get(OAuthAccessToken, token_id)
            return (row.consumer_id, row.access_secret) if row else None

    # -- request tokens ---------------------------------------------------------------------
    def create_request_token(self, signed: SignedRequest, project_id: str | None
                             ) -> IssuedToken:
        consumer_id = signed.require("oauth_consumer_key")
        if not project_id:
            raise MissingParameter("Requested-Project-Id")
        with self.db.session() as s:
            self.identity.resources.project(s, project_id)
            self._consumer(s, consumer_id)
        if not request_token_request_is_signed(self, signed):
            raise invalid_signature()
        token = IssuedToken(new_key(), new_key(),
                            self._expiry(self.settings.request_token_duration))
        with self.db.session() as s:
            s.add(OAuthRequestToken(id=token.id, request_secret=token.secret,
                                    requested_project_id=project_id, consumer_id=consumer_id,
                                    expires_at=token.expires_at))
        return token

    @staticmethod
    def _expiry(seconds: int) -> dt.datetime | None:
        return utcnow() + dt.timedelta(seconds=seconds) if seconds > 0 else None

    def _request_token(self, s: Session, token_id: str) -> OAuthRequestToken:
        row = s.get(OAuthRequestToken, token_id)
        if row is None:
            raise NotFound("Request token not found")
        if row.expires_at is not None and row.expires_at < utcnow():
            raise Unauthorized("Request token is expired")
        return row

    def authorize(self, ctx: RequestContext, token_id: str,
                  roles: list[dict[str, Any]]) -> str:
        """The caller lets the request token's consumer act with ``roles`` of theirs on the
        requested project; answers the verifier the consumer needs."""
        if self.identity.trust_tokens.trust_of(ctx) or "oauth1" in ctx.methods or \
                "application_credential" in ctx.methods:
            raise Forbidden(DELEGATED)
        with self.db.session() as s:
            row = self._request_token(s, token_id)
            wanted = {r["id"] if r.get("id") else
                      self.identity.assignments.role_by_name(s, r["name"]).id for r in roles}
            assignments = self.identity.assignments
            held = assignments.expand_implied(s, assignments.direct_role_ids(
                s, ctx.user_id or "", "project", row.requested_project_id))
            if not wanted <= held:
                raise Unauthorized("authorizing user does not have role required")
            row.authorizing_user_id = ctx.user_id
            row.verifier = "".join(secrets.SystemRandom().sample(VERIFIER_CHARS, 8))
            row.role_ids = sorted(wanted)
            return row.verifier

    # -- access tokens ----------------------------------------------------------------------
    def create_access_token(self, signed: SignedRequest) -> IssuedToken:
        consumer_id = signed.require("oauth_consumer_key")
        request_token_id = signed.require("oauth_token")
        verifier = signed.require("oauth_verifier")
        with self.db.session() as s:
            request_token = self._request_token(s, request_token_id)
            stored_consumer, stored_verifier = request_token.consumer_id, request_token.verifier
            authorizing_user = request_token.authorizing_user_id
        if not access_token_request_is_signed(self, signed):
            if self.consumer_secret(consumer_id) is None:
                raise Unauthorized("Provided consumer does not exist.")
            if stored_consumer != consumer_id:
                raise Unauthorized("Provided consumer key does not match stored consumer key.")
            if stored_verifier != verifier:
                raise Unauthorized("Provided verifier does not match stored verifier")
            raise invalid_signature()
        if not authorizing_user:
            raise Unauthorized("Request Token does not have an authorizing user id.")
        return self._exchange(request_token_id)

    def _exchange(self, request_token_id: str) -> IssuedToken:
        """The access token for an authorized request token, which is used up."""
        token = IssuedToken(new_key(), new_key(),
                            self._expiry(self.settings.access_token_duration))
        with self.db.session() as s:
            request_token = s.get(OAuthRequestToken, request_token_id)
            if request_token is None or request_token.authorizing_user_id is None:
                raise NotFound("Request token not found")
            s.add(OAuthAccessToken(id=token.id, access_secret=token.secret,
                                   authorizing_user_id=request_token.authorizing_user_id,
                                   project_id=request_token.requested_project_id,
                                   role_ids=list(request_token.role_ids or []),
                                   consumer_id=request_token.consumer_id,
                                   expires_at=token.expires_at))
            s.delete(request_token)
        return token

    def list_access_tokens(self, ctx: RequestContext, user_id: str) -> list[OAuthAccessToken]:
        self._refuse_delegated(ctx)
        with self.db.session() as s:
            return list(s.scalars(select(OAuthAccessToken)
                                  .where(OAuthAccessToken.authorizing_user_id == user_id)
                                  .order_by(OAuthAccessToken.id)))

    def get_access_token(self, ctx: RequestContext | None, user_id: str,
                         token_id: str) -> OAuthAccessToken:
        if ctx is not None:
            self._refuse_delegated(ctx)
        with self.db.session() as s:
            row = s.get(OAuthAccessToken, token_id)
            if row is None:
                raise NotFound("Access token not found")
            if row.authorizing_user_id != user_id:
                raise NotFound()
            return row

    def delete_access_token(self, ctx: RequestContext, user_id: str, token_id: str) -> None:
        self._refuse_delegated(ctx)
        with self.db.session() as s:
            row = s.get(OAuthAccessToken, token_id)
            if row is None:
                raise NotFound("Access token not found")
            if row.authorizing_user_id != user_id:
                raise Unauthorized("User IDs do not match")
            s.delete(row)
            bump_generation(s)

    def access_token_roles(self, user_id: str, token_id: str) -> list[Role]:
        row = self.get_access_token(None, user_id, token_id)
        with self.db.session() as s:
            return list(s.scalars(select(Role).where(Role.id.in_(row.role_ids or []))
                                  .order_by(Role.name)))

    def access_token_role(self, user_id: str, token_id: str, role_id: str) -> Role:
        with self.db.session() as s:
            row = s.get(OAuthAccessToken, token_id)
            if row is None:
                raise NotFound("Access token not found")
            if row.authorizing_user_id != user_id:
                raise Unauthorized("User IDs do not match")
            role = s.get(Role, role_id) if role_id in (row.role_ids or []) else None
            if role is None:
                raise ResourceNotFound("role", role_id)
            return role

    def _refuse_delegated(self, ctx: RequestContext) -> None:
        if self.identity.trust_tokens.trust_of(ctx) or "oauth1" in ctx.methods or \
                "application_credential" in ctx.methods:
            raise Forbidden(MANAGE_DELEGATED)

    # -- the oauth1 auth method and its tokens ----------------------------------------------
    def authenticate(self, signed: SignedRequest) -> OAuthAccessToken:
        """The access token a signed ``POST /v3/auth/tokens`` presents, if alive."""
        token_id = signed.require("oauth_token")
        with self.db.session() as s:
            row = s.get(OAuthAccessToken, token_id)
            if row is None:
                raise NotFound("Access token not found")
            s.expunge(row)
        if row.expires_at is not None and row.expires_at < utcnow():
            raise Unauthorized("Access token is expired")
        if not resource_request_is_signed(self, signed):
            raise Unauthorized("Could not validate the access token")
        return row

    def restrict_token(self, s: Session, data: TokenData,
                       roles: list[RoleRef]) -> tuple[list[RoleRef], dict[str, Any]]:
        """An OAuth token's roles: the authorized ones (and those they imply) the user still
        holds on the project; and the token's ``OS-OAUTH1`` section."""
        row = s.get(OAuthAccessToken, data.access_token_id)
        if row is None or row.authorizing_user_id != data.user_id or \
                row.project_id != data.scope.id:
            raise TokenNotFound()
        if row.expires_at is not None and row.expires_at < utcnow():
            raise TokenNotFound()
        allowed = self.identity.assignments.expand_implied(s, set(row.role_ids or []))
        view = {"access_token_id": row.id, "consumer_id": row.consumer_id}
        return [r for r in roles if r.id in allowed], view
