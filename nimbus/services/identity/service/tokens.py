"""Fernet tokens: issued, never stored; validated on every request through a per-worker
cache that is dropped whenever the identity generation moves."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cryptography.fernet import InvalidToken
from sqlalchemy import delete, select

from nimbus.kernel.context import RequestContext, current_memo
from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import Unauthorized
from nimbus.kernel.keys import KeyRepository
from nimbus.services.identity.errors import TokenNotFound
from nimbus.services.identity.models import RevokedToken
from nimbus.services.identity.service.common import (
    GenerationCache,
    bump_generation,
    isotime,
    random_id,
)
from nimbus.services.identity.service.federation.login import FederationRef

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

PAYLOAD_VERSION = 1
CACHE_SIZE = 10000
GENERATION_SQL = "SELECT value FROM identity_generation WHERE id = 1"
GENERATION_MEMO = "identity.generation"


@dataclass(frozen=True)
class Scope:
    kind: str | None = None  # "project", "domain", "system" or None (unscoped)
    id: str | None = None  # project or domain id; "all" for system


@dataclass(frozen=True)
class TokenData:
    """What a token carries; everything else is looked up when it is validated."""

    user_id: str
    methods: tuple[str, ...]
    scope: Scope
    expires_at: dt.datetime
    audit_ids: tuple[str, ...]
    issued_at: dt.datetime
    app_cred_id: str | None = None
    trust_id: str | None = None
    # The OAuth 1.0a access token a token was issued for.
    access_token_id: str | None = None
    # Set on the tokens of federated (shadow) users.
    federation: FederationRef | None = None


@dataclass(frozen=True)
class ValidatedToken:
    data: TokenData
    ctx: RequestContext
    # The "token" object of Keystone's answer, without its catalog.
    body: dict[str, Any]
    # Rendered validation answers (with or without catalog): they live as long as this
    # object stays in the token cache, that is for one identity generation.
    answers: dict[bool, bytes] = field(default_factory=dict, compare=False, repr=False)


class TokenCache:
    """LRU of validated tokens, valid for one identity generation."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.generation: int | None = None
        self._items: OrderedDict[str, ValidatedToken] = OrderedDict()
        self._lock = threading.Lock()

    def sync(self, generation: int) -> None:
        if generation != self.generation:
            with self._lock:
                self._items.clear()
                self.generation = generation

    def get(self, token: str) -> ValidatedToken | None:
        with self._lock:
            found = self._items.get(token)
            if found is not None:
                self._items.move_to_end(token)
            return found

    def put(self, token: str, value: ValidatedToken, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return
            self._items[token] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)


class Tokens:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        settings = identity.settings
        self.keys = KeyRepository(settings.fernet_key_dir, settings.fernet_max_active_keys)
        self.cache = TokenCache()

    # -- the wire format ------------------------------------------------------------------
    def encode(self, data: TokenData) -> str:
        payload = [PAYLOAD_VERSION, data.user_id, list(data.methods), data.scope.kind,
                   data.scope.id, int(data.expires_at.replace(tzinfo=dt.UTC).timestamp()),
                   list(data.audit_ids), data.app_cred_id]
        # Optional 9th element: what only delegated or federated tokens carry.
        extra: dict[str, Any] = {k: v for k, v in (("trust", data.trust_id),
                                                   ("oauth1", data.access_token_id)) if v}
        if data.federation is not None:
            fed = data.federation
            extra["fed"] = [fed.idp_id, fed.protocol_id, list(fed.group_ids)]
        if extra:
            payload.append(extra)
        raw = json.dumps(payload, separators=(",", ":")).encode()
        token = self.keys.fernet().encrypt(raw)
        return token.decode().rstrip("=")

    def decode(self, token: str) -> TokenData:
        padded = token + "=" * (-len(token) % 4)
        fernet = self.keys.fernet()
        try:
            raw = fernet.decrypt(padded.encode())
            issued = fernet.extract_timestamp(padded.encode())
            payload = json.loads(raw)
            version, user_id, methods, kind, scope_id, expires, audit_ids, app_cred, \
                *optional = payload
            extra = dict(optional[0]) if optional else {}
            fed = extra.get("fed")
            federation = FederationRef(fed[0], fed[1], tuple(fed[2])) if fed else None
        except (InvalidToken, ValueError, TypeError, IndexError, UnicodeError):
            raise TokenNotFound() from None
        if version != PAYLOAD_VERSION:
            raise TokenNotFound()
        return TokenData(
            user_id=user_id, methods=tuple(methods), scope=Scope(kind, scope_id),
            expires_at=dt.datetime.fromtimestamp(expires, dt.UTC).replace(tzinfo=None),
            audit_ids=tuple(audit_ids), app_cred_id=app_cred, federation=federation,
            trust_id=extra.get("trust"), access_token_id=extra.get("oauth1"),
            issued_at=dt.datetime.fromtimestamp(issued, dt.UTC).replace(tzinfo=None))

    # -- issuing ----------------------------------------------------------------------------
    def new_data(self, user_id: str, methods: list[str], scope: Scope,
                 expires_at: dt.datetime | None = None, parent_audit_id: str | None = None,
                 app_cred_id: str | None = None, trust_id: str | None = None,
                 access_token_id: str | None = None,
                 federation: FederationRef | None = None) -> TokenData:
        now = utcnow().replace(microsecond=0)
        lifetime = dt.timedelta(seconds=self.identity.settings.token_expiration)
        expiry = min(expires_at, now + lifetime) if expires_at else now + lifetime
        audit_ids = (random_id(),) + ((parent_audit_id,) if parent_audit_id else ())
        return TokenData(user_id=user_id, methods=tuple(methods), scope=scope,
                         expires_at=expiry, audit_ids=audit_ids, issued_at=now,
                         app_cred_id=app_cred_id, trust_id=trust_id,
                         access_token_id=access_token_id, federation=federation)

    def issue(self, data: TokenData) -> tuple[str, ValidatedToken]:
        """Encrypt and validate right away, so a token is never handed out that would fail."""
        token = self.encode(data)
        validated = self.validate(token)
        return token, validated

    # -- validating -------------------------------------------------------------------------
    def current_generation(self) -> int:
        """The identity generation, read once per request: every validation in a request
        sees the same one."""
        memo = current_memo()
        if memo is None:
            return self._read_generation()
        found = memo.get(GENERATION_MEMO)
        if found is None:
            found = memo[GENERATION_MEMO] = self._read_generation()
        return int(found)

    def _read_generation(self) -> int:
        value = self.identity.db.read_value(GENERATION_SQL)
        return int(value) if value else 0

    def validate(self, token: str) -> ValidatedToken:
        """A token's meaning now; TokenNotFound when it is invalid, expired or revoked."""
        generation = self.current_generation()
        self.cache.sync(generation)
        found = self.cache.get(token)
        if found is None:
            data = self.decode(token)
            found = self.identity.token_views.build(token, data)
            self.cache.put(token, found, generation)
        if found.data.expires_at <= utcnow():
            raise TokenNotFound()
        self.identity.directory.confirm_user(found.data.user_id)
        return found

    def context_for(self, token: str) -> RequestContext:
        """The kernel's TokenValidator: any failure is a 401."""
        try:
            return self.validate(token).ctx
        except TokenNotFound:
            raise Unauthorized() from None

    def is_revoked(self, data: TokenData, session: Any) -> bool:
        rows = session.scalars(select(RevokedToken.audit_id)
                               .where(RevokedToken.audit_id.in_(data.audit_ids))).first()
        return rows is not None

    def revoke(self, token: str) -> None:
        """Revoke one token (and every token rescoped from it, which shares its audit id)."""
        data = self.validate(token).data
        with self.identity.db.session() as s:
            # Rows of tokens that have expired anyway are dead weight.
            s.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
            for audit_id in data.audit_ids[:1]:
                if s.get(RevokedToken, audit_id) is None:
                    s.add(RevokedToken(audit_id=audit_id, expires_at=data.expires_at))
                self.identity.revoke_events.record(s, audit_id=audit_id)
            bump_generation(s)


@dataclass(frozen=True)
class UserFacts:
    id: str
    name: str
    domain_id: str
    domain_name: str
    tokens_valid_after: dt.datetime | None
    password_expires_at: str | None


@dataclass(frozen=True)
class ScopeFacts:
    """What a token body says of its project or domain."""

    id: str
    name: str
    domain_id: str | None = None
    domain_name: str | None = None


class TokenContexts:
    """Builds the context and Keystone's token body for a decoded token, checking that
    everything it names still exists, is enabled and still grants a role. What it reads of
    users, projects and domains is cached per identity generation."""

    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self._facts: GenerationCache[UserFacts | ScopeFacts] = GenerationCache(
            identity.tokens_generation)

    def build(self, token: str, data: TokenData) -> ValidatedToken:
        with self.identity.db.session() as s:
            if self.identity.tokens.is_revoked(data, s):
                raise TokenNotFound()
            user = self._user(s, data.user_id)
            if user.tokens_valid_after and data.issued_at < user.tokens_valid_after:
                raise TokenNotFound()
            body: dict[str, Any] = {
                "methods": list(data.methods),
                "user": {"id": user.id, "name": user.name,
                         "domain": {"id": user.domain_id, "name": user.domain_name},
                         "password_expires_at": user.password_expires_at},
                "audit_ids": list(data.audit_ids),
                "expires_at": isotime(data.expires_at),
                "issued_at": isotime(data.issued_at),
            }
            self.identity.federation.render_token(s, data, body)
            ctx = RequestContext(user_id=user.id, user_name=user.name,
                                 user_domain_id=user.domain_id,
                                 user_domain_name=user.domain_name,
                                 methods=data.methods, audit_ids=data.audit_ids,
                                 issued_at=data.issued_at, expires_at=data.expires_at,
                                 token=token)
            ctx = self._scope(s, data, body, ctx)
            if data.trust_id:
                ctx = self.identity.trust_tokens.decorate(s, data, body, ctx, self._user)
        return ValidatedToken(data=data, ctx=ctx, body=body)

    def _user(self, s: Any, user_id: str) -> UserFacts:
        def load() -> UserFacts:
            ident = self.identity
            user = ident.users.active_user(s, user_id)
            domain = ident.resources.enabled_domain(s, user.domain_id)
            return UserFacts(user.id, user.name, domain.id, domain.name,
                             user.tokens_valid_after,
                             isotime(ident.users.password_expires_at(s, user)))

        return self._facts.get(("user", user_id), load)  # type: ignore[return-value]

    def _project(self, s: Any, project_id: str | None) -> ScopeFacts:
        def load() -> ScopeFacts:
            project = self.identity.resources.enabled_project(s, project_id)
            domain = self.identity.resources.enabled_domain(s, project.domain_id)
            return ScopeFacts(project.id, project.name, domain.id, domain.name)

        return self._facts.get(("project", project_id), load)  # type: ignore[return-value]

    def _domain(self, s: Any, domain_id: str | None) -> ScopeFacts:
        def load() -> ScopeFacts:
            domain = self.identity.resources.enabled_domain(s, domain_id)
            return ScopeFacts(domain.id, domain.name)

        return self._facts.get(("domain", domain_id), load)  # type: ignore[return-value]

    def _scope(self, s: Any, data: TokenData, body: dict[str, Any],
               ctx: RequestContext) -> RequestContext:
        ident = self.identity
        scope = data.scope
        if scope.kind is None:
            return ctx
        if scope.kind == "project":
            project = self._project(s, scope.id)
            body["project"] = {"id": project.id, "name": project.name,
                               "domain": {"id": project.domain_id, "name": project.domain_name}}
            body["is_domain"] = False
            ctx = replace(ctx, project_id=project.id, project_name=project.name,
                          project_domain_id=project.domain_id,
                          project_domain_name=project.domain_name)
        elif scope.kind == "domain":
            domain = self._domain(s, scope.id)
            body["domain"] = {"id": domain.id, "name": domain.name}
            ctx = replace(ctx, domain_id=domain.id, domain_name=domain.name)
        elif scope.kind == "system":
            body["system"] = {"all": True}
            ctx = replace(ctx, system_scope="all")
        groups = data.federation.group_ids if data.federation else ()
        roles = (ident.trust_tokens.roles(s, data) if data.trust_id else
                 ident.assignments.roles_for_scope(s, data.user_id, scope.kind, scope.id,
                                                   groups))
        if data.app_cred_id:
            roles, app_view = ident.appcreds.restrict_token(s, data, roles)
            body["application_credential"] = app_view
            ctx = replace(ctx, application_credential_id=data.app_cred_id,
                          access_rules=tuple(app_view.get("access_rules") or ()) or None)
        if data.access_token_id:
            roles, body["OS-OAUTH1"] = ident.oauth1.restrict_token(s, data, roles)
        if not roles:
            raise TokenNotFound()
        body["roles"] = [{"id": r.id, "name": r.name} for r in roles]
        return replace(ctx, roles=tuple(r.name for r in roles),
                       role_ids=tuple(r.id for r in roles))
