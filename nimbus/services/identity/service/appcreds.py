"""Application credentials and access rules.

An application credential delegates some of a user's roles on one project to an application:
it authenticates with a secret (stored hashed, shown once) and its tokens carry only those of
its roles the user still has, limited to its access rules when it has any.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import new_id, utcnow
from nimbus.kernel.errors import BadRequest, Forbidden
from nimbus.services.identity.errors import (
    AuthFailed,
    Duplicate,
    ForbiddenAction,
    ResourceNotFound,
    TokenNotFound,
)
from nimbus.services.identity.models import (
    AccessRule,
    AppCredAccessRule,
    ApplicationCredential,
    Role,
)
from nimbus.services.identity.service.common import bump_generation, parse_time
from nimbus.services.identity.service.passwords import hash_password, verify_password

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService
    from nimbus.services.identity.service.assignments import RoleRef
    from nimbus.services.identity.service.tokens import TokenData

APP_CRED = "Application Credential"
ACCESS_RULE = "Access Rule"
UNASSIGNED_ROLE = ("Invalid application credential: Cannot create an application credential "
                   "with unassigned role")


@dataclass
class AppCred:
    """An application credential with what its views show: current roles and access rules;
    ``secret`` only right after creation."""

    row: ApplicationCredential
    roles: list[Role]
    access_rules: list[AccessRule]
    secret: str | None = None


def generate_secret() -> str:
    """64 random bytes, URL-safe base64 without padding, as Keystone makes them."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()


def parse_expiry(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = parse_time(text)
    except ValueError:
        raise BadRequest("Timestamp not in expected format. The server could not comply with "
                         "the request since it is either malformed or otherwise incorrect. "
                         "The client is assumed to be in error.") from None
    if value <= utcnow():
        raise BadRequest("The 'expires_at' must not be before now. The server could not comply "
                         "with the request since it is either malformed or otherwise "
                         "incorrect. The client is assumed to be in error.")
    return value


class ApplicationCredentials:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    # -- creating ---------------------------------------------------------------------------
    def create(self, ctx: RequestContext, user_id: str, fields: dict[str, Any]) -> AppCred:
        """A new credential for the caller on the caller's project (Keystone's rules)."""
        self.require_unrestricted(ctx)
        self.identity.trust_tokens.refuse_delegated(ctx, "application credentials")
        if ctx.user_id != user_id:
            raise ForbiddenAction("Cannot create an application credential for another user.")
        if not ctx.project_id:
            raise BadRequest("Invalid application credential: a project-scoped token is "
                             "needed to create an application credential.")
        expires_at = parse_expiry(fields.get("expires_at"))
        secret = fields.get("secret") or generate_secret()
        secret_hash = hash_password(secret, self.identity.settings.bcrypt_cost)
        try:
            with self.db.session() as s:
                self._refuse_duplicate(s, user_id, fields["name"])
                roles = self._roles_for(s, ctx, fields.get("roles") or [])
                row = ApplicationCredential(
                    id=new_id(), name=fields["name"], secret_hash=secret_hash,
                    description=fields.get("description"), user_id=user_id,
                    project_id=ctx.project_id, expires_at=expires_at,
                    unrestricted=bool(fields.get("unrestricted")),
                    roles=[{"id": r.id, "name": r.name} for r in roles])
                s.add(row)
                s.flush()
                rules = self._attach_access_rules(s, row, fields.get("access_rules") or [])
                return AppCred(row, roles, rules, secret)
        except IntegrityError:
            raise Duplicate("application_credential", "Duplicate entry") from None

    def _refuse_duplicate(self, s: Session, user_id: str, name: str) -> None:
        if s.scalars(select(ApplicationCredential.id).where(
                ApplicationCredential.user_id == user_id,
                ApplicationCredential.name == name)).first():
            raise Duplicate("application_credential", "Duplicate entry")

    def _roles_for(self, s: Session, ctx: RequestContext,
                   requested: list[dict[str, Any]]) -> list[Role]:
        """The roles asked for plus those they imply, or else the token's roles; every one
        must be in the token and still assigned to the user on the project."""
        assignments = self.identity.assignments
        token_roles = set(ctx.role_ids)
        if requested:
            wanted = assignments.expand_implied(s, {self._role_ref(s, r) for r in requested})
            rows = [r for r in s.scalars(select(Role).where(Role.id.in_(wanted)))
                    if not r.domain_id]
            if not {r.id for r in rows} <= token_roles:
                raise BadRequest(UNASSIGNED_ROLE)
        else:
            rows = list(s.scalars(select(Role).where(Role.id.in_(token_roles))))
        current = {r.id for r in assignments.roles_for_scope(s, ctx.user_id or "", "project",
                                                             ctx.project_id)}
        for role in rows:
            if role.id not in current:
                raise BadRequest(f"Invalid application credential: Could not find role "
                                 f"assignment with role: {role.id}, user or group: "
                                 f"{ctx.user_id}, project, domain, or system: "
                                 f"{ctx.project_id}.")
        if not rows:
            raise BadRequest(UNASSIGNED_ROLE)
        return sorted(rows, key=lambda r: r.name)

    def _role_ref(self, s: Session, ref: dict[str, Any]) -> str:
        if ref.get("id"):
            if s.get(Role, ref["id"]) is None:
                raise BadRequest(UNASSIGNED_ROLE)
            return str(ref["id"])
        return self.identity.assignments.role_by_name(s, ref["name"]).id

    def _attach_access_rules(self, s: Session, row: ApplicationCredential,
                             requested: list[dict[str, Any]]) -> list[AccessRule]:
        rules: dict[str, AccessRule] = {}
        for ref in requested:
            rule = self._access_rule_for(s, row.user_id, ref)
            rules.setdefault(rule.id, rule)
        for rule_id in rules:
            s.add(AppCredAccessRule(application_credential_id=row.id, access_rule_id=rule_id))
        return list(rules.values())

    def _access_rule_for(self, s: Session, user_id: str, ref: dict[str, Any]) -> AccessRule:
        """The user's rule named by id, or an identical one of theirs, or a new one."""
        if ref.get("id"):
            found = s.get(AccessRule, ref["id"])
            if found is not None and found.user_id == user_id:
                return found
            if "service" not in ref:
                raise ResourceNotFound(ACCESS_RULE, ref["id"])
        found = s.scalars(select(AccessRule).where(
            AccessRule.user_id == user_id, AccessRule.service == ref["service"],
            AccessRule.path == ref["path"], AccessRule.method == ref["method"])).first()
        if found is None:
            found = AccessRule(id=new_id(), user_id=user_id, service=ref["service"],
                               path=ref["path"], method=ref["method"])
            s.add(found)
            s.flush()
        return found

    def require_unrestricted(self, ctx: RequestContext) -> None:
        """Tokens of a restricted application credential may not manage application
        credentials (nor trusts)."""
        if "application_credential" not in ctx.methods:
            return
        with self.db.session() as s:
            row = s.get(ApplicationCredential, ctx.application_credential_id)
            if row is None or not row.unrestricted:
                raise ForbiddenAction("Using method 'application_credential' is not allowed "
                                      "for managing additional application credentials.")

    # -- reading and deleting ---------------------------------------------------------------
    def list_for_user(self, user_id: str, name: str | None = None) -> list[AppCred]:
        with self.db.session() as s:
            self.identity.users.user(s, user_id)
            q = select(ApplicationCredential).where(ApplicationCredential.user_id == user_id)
            if name is not None:
                q = q.where(ApplicationCredential.name == name)
            rows = s.scalars(q.order_by(ApplicationCredential.created_at))
            return [self._load(s, row) for row in rows]

    def get(self, user_id: str, cred_id: str) -> AppCred:
        with self.db.session() as s:
            return self._load(s, self._owned(s, user_id, cred_id))

    def delete(self, ctx: RequestContext, user_id: str, cred_id: str) -> None:
        self.require_unrestricted(ctx)
        with self.db.session() as s:
            s.delete(self._owned(s, user_id, cred_id))
            bump_generation(s)

    def owner_of(self, cred_id: str) -> str | None:
        with self.db.session() as s:
            row = s.get(ApplicationCredential, cred_id)
            return row.user_id if row is not None else None

    def delete_for_user(self, s: Session, user_id: str) -> None:
        """For the users module: a disabled or deleted user loses their credentials."""
        s.execute(delete(ApplicationCredential)
                  .where(ApplicationCredential.user_id == user_id))
        s.execute(delete(AccessRule).where(AccessRule.user_id == user_id))
        bump_generation(s)

    def _owned(self, s: Session, user_id: str, cred_id: str) -> ApplicationCredential:
        row = s.get(ApplicationCredential, cred_id)
        if row is None or row.user_id != user_id:
            raise ResourceNotFound(APP_CRED, cred_id)
        return row

    def _load(self, s: Session, row: ApplicationCredential) -> AppCred:
        role_ids = [r.get("id") for r in row.roles or []]
        roles = list(s.scalars(select(Role).where(Role.id.in_(role_ids)).order_by(Role.name)))
        return AppCred(row, roles, self._rules_of(s, row.id))

    def _rules_of(self, s: Session, cred_id: str) -> list[AccessRule]:
        return list(s.scalars(
            select(AccessRule).join(AppCredAccessRule,
                                    AppCredAccessRule.access_rule_id == AccessRule.id)
            .where(AppCredAccessRule.application_credential_id == cred_id)
            .order_by(AccessRule.service, AccessRule.path, AccessRule.method)))

    # -- access rules -----------------------------------------------------------------------
    def list_access_rules(self, user_id: str, filters: dict[str, str]) -> list[AccessRule]:
        with self.db.session() as s:
            self.identity.users.user(s, user_id)
            q = select(AccessRule).where(AccessRule.user_id == user_id)
            for key in ("service", "path", "method"):
                if key in filters:
                    q = q.where(getattr(AccessRule, key) == filters[key])
            return list(s.scalars(q.order_by(AccessRule.service, AccessRule.path)))

    def get_access_rule(self, user_id: str, rule_id: str) -> AccessRule:
        with self.db.session() as s:
            return self._owned_rule(s, user_id, rule_id)

    def delete_access_rule(self, user_id: str, rule_id: str) -> None:
        with self.db.session() as s:
            rule = self._owned_rule(s, user_id, rule_id)
            if s.scalars(select(AppCredAccessRule.application_credential_id)
                         .where(AppCredAccessRule.access_rule_id == rule.id)).first():
                raise Forbidden("May not delete access rule in use")
            s.delete(rule)

    def _owned_rule(self, s: Session, user_id: str, rule_id: str) -> AccessRule:
        rule = s.get(AccessRule, rule_id)
        if rule is None or rule.user_id != user_id:
            raise ResourceNotFound(ACCESS_RULE, rule_id)
        return rule

    def user_target(self, user_id: str) -> dict[str, Any]:
        """Policy target for the access-rule rules (``target.user.id``)."""
        with self.db.session() as s:
            try:
                user = self.identity.users.user(s, user_id)
            except ResourceNotFound:
                return {}
            return {"user": {"id": user.id, "domain_id": user.domain_id}}

    # -- authentication and tokens ----------------------------------------------------------
    def authenticate(self, ref: dict[str, Any]) -> ApplicationCredential:
        """The credential an auth request names, if its secret is right and it is alive."""
        with self.db.session() as s:
            row = self._find_for_auth(s, ref)
        if not verify_password(str(ref.get("secret") or ""), row.secret_hash):
            raise AuthFailed("Invalid application credential.")
        if row.expires_at is not None and row.expires_at <= utcnow():
            raise AuthFailed("Application credential has expired.")
        return row

    def _find_for_auth(self, s: Session, ref: dict[str, Any]) -> ApplicationCredential:
        if ref.get("id"):
            row = s.get(ApplicationCredential, ref["id"])
        elif ref.get("name"):
            user = self.identity.users.find_for_auth(s, ref.get("user") or {})
            row = s.scalars(select(ApplicationCredential).where(
                ApplicationCredential.user_id == user.id,
                ApplicationCredential.name == ref["name"])).first()
        else:
            raise BadRequest("Expecting to find id or name in application credential.")
        if row is None:
            raise AuthFailed("Invalid application credential.")
        return row

    def restrict_token(self, s: Session, data: TokenData,
                       roles: list[RoleRef]) -> tuple[list[RoleRef], dict[str, Any]]:
        """The roles a token of an application credential carries (its roles the user still
        has) and the token's "application_credential" object."""
        row = s.get(ApplicationCredential, data.app_cred_id)
        if row is None or row.user_id != data.user_id or row.project_id != data.scope.id:
            raise TokenNotFound()
        if row.expires_at is not None and row.expires_at <= utcnow():
            raise TokenNotFound()
        allowed = {r.get("id") for r in row.roles or []}
        view: dict[str, Any] = {"id": row.id, "name": row.name,
                                "restricted": not row.unrestricted}
        rules = self._rules_of(s, row.id)
        if rules:
            view["access_rules"] = [{"id": r.id, "service": r.service, "path": r.path,
                                     "method": r.method} for r in rules]
        return [r for r in roles if r.id in allowed], view
