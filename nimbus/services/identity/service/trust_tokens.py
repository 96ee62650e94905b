"""Trust-scoped tokens: who may get one, and what it carries.

A trust-scoped token belongs to the trustee (who authenticated) and is scoped to the
trust's project with the trust's roles and the roles they imply, all of which the first
trustor of the chain must still hold. With impersonation, the token shows the trustor as
its user. It stops validating when the trust goes (deleted, expired), when the trustor
loses a delegated role, or when the trustor or trustee is disabled or deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import CloudError, Forbidden
from nimbus.services.identity.errors import AuthFailed, TokenNotFound
from nimbus.services.identity.models import Role, Trust, User
from nimbus.services.identity.service.assignments import RoleRef
from nimbus.services.identity.service.trusts import TrustNotFound

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService
    from nimbus.services.identity.service.tokens import TokenData, UserFacts

TRUST_SECTION = "OS-TRUST:trust"


class TrustTokens:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    # -- issuing ----------------------------------------------------------------------------
    def for_auth(self, ref: Any, user_id: str) -> Trust:
        """The trust an auth request's scope names, if ``user_id`` may use it now.
        A trust that is gone is a 401; a trust the user may not use, a 403 (Keystone)."""
        trust_id = ref.get("id") if isinstance(ref, dict) else None
        with self.db.session() as s:
            try:
                row = self.identity.trusts.live(s, trust_id)
            except TrustNotFound as exc:
                raise AuthFailed(exc.message) from None
            if row.trustee_user_id != user_id:
                raise Forbidden("User is not a trustee.")
            trustor = s.get(User, row.trustor_user_id)
            if trustor is None or not trustor.enabled:
                raise Forbidden("Trustor is disabled.")
            if row.project_id:
                self.identity.resources.enabled_project(s, row.project_id)
                self.delegated_roles(s, row)
            s.expunge(row)
            return row

    def delegated_roles(self, s: Session, row: Trust) -> list[RoleRef]:
        """The trust's roles and those they imply; Forbidden when the first trustor of the
        chain no longer holds every one of them on the project."""
        trusts = self.identity.trusts
        assignments = self.identity.assignments
        trustor = trusts.pedigree(s, row)[-1].trustor_user_id
        wanted = assignments.expand_implied(s, set(trusts.role_ids(s, row.id)))
        held = assignments.expand_implied(
            s, assignments.direct_role_ids(s, trustor, "project", row.project_id))
        if not wanted <= held:
            raise Forbidden("Trustee has no delegated roles.")
        rows = s.execute(select(Role.id, Role.name, Role.domain_id)
                         .where(Role.id.in_(wanted)).order_by(Role.name))
        return [RoleRef(r.id, r.name) for r in rows if not r.domain_id]

    # -- validating -------------------------------------------------------------------------
    def roles(self, s: Session, data: TokenData) -> list[RoleRef]:
        """A trust-scoped token's roles now; TokenNotFound once the trust no longer holds."""
        try:
            return self.delegated_roles(s, self._trust(s, data))
        except CloudError:
            raise TokenNotFound() from None

    def _trust(self, s: Session, data: TokenData) -> Trust:
        try:
            row = self.identity.trusts.live(s, data.trust_id, count_uses=False)
        except CloudError:
            raise TokenNotFound() from None
        if row.trustee_user_id != data.user_id:
            raise TokenNotFound()
        return row

    def decorate(self, s: Session, data: TokenData, body: dict[str, Any],
                 ctx: RequestContext,
                 user_facts: Callable[[Session, str], UserFacts]) -> RequestContext:
        """Adds the token's ``OS-TRUST:trust`` section and, with impersonation, shows the
        trustor as the token's user (to Keystone's rules and to every other service)."""
        row = self._trust(s, data)
        trustor = user_facts(s, row.trustor_user_id)
        if trustor.tokens_valid_after and data.issued_at < trustor.tokens_valid_after:
            raise TokenNotFound()
        body[TRUST_SECTION] = {"id": row.id, "impersonation": bool(row.impersonation),
                               "trustee_user": {"id": row.trustee_user_id},
                               "trustor_user": {"id": row.trustor_user_id}}
        if not row.impersonation:
            return ctx
        body["user"] = {"id": trustor.id, "name": trustor.name,
                        "domain": {"id": trustor.domain_id, "name": trustor.domain_name},
                        "password_expires_at": trustor.password_expires_at}
        return replace(ctx, user_id=trustor.id, user_name=trustor.name,
                       user_domain_id=trustor.domain_id, user_domain_name=trustor.domain_name)

    def refuse_delegated(self, ctx: RequestContext, what: str) -> None:
        """Trust- and OAuth-scoped tokens may not make lasting credentials (Keystone): they
        would outlive the delegation."""
        if "oauth1" in ctx.methods or self.trust_of(ctx):
            raise Forbidden(f"Cannot manage {what} with a token issued via delegation.")

    def trust_of(self, ctx: RequestContext) -> str | None:
        """The trust a caller's token is scoped by, if any."""
        if not ctx.token:
            return None
        return self.identity.tokens.validate(ctx.token).data.trust_id
