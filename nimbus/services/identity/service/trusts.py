"""Trusts (OS-TRUST): a trustor delegates some of their roles on a project to a trustee,
who may then get tokens scoped by the trust (service/trust_tokens.py).

Trusts are immutable. A trust made with a trust-scoped token redelegates that trust: it
may give no more than its parent (roles, expiry, impersonation) and the chain is at most
``[trust] max_redelegation_count`` deep. Deleting a trust deletes its redelegations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import new_id, utcnow
from nimbus.kernel.errors import BadRequest, Forbidden
from nimbus.services.identity.errors import ForbiddenAction, ResourceNotFound
from nimbus.services.identity.models import Role, Trust, TrustRole, User
from nimbus.services.identity.service.appcreds import parse_expiry
from nimbus.services.identity.service.common import bump_generation

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

# The request's fields Keystone keeps as columns; the others are kept and shown as given.
TRUST_FIELDS = ("trustor_user_id", "trustee_user_id", "project_id", "impersonation",
                "expires_at", "remaining_uses", "redelegation_count", "allow_redelegation",
                "roles", "id", "redelegated_trust_id", "links", "roles_links", "deleted_at")


class TrustNotFound(ResourceNotFound):
    def __init__(self, trust_id: str) -> None:
        super().__init__("trust", trust_id)


class ForbiddenTrustAction(ForbiddenAction):
    """Keystone's ForbiddenAction: the action's words after the standard sentence."""

    def __init__(self, action: str) -> None:
        super().__init__(f"You are not authorized to perform the requested action: {action}.")


@dataclass
class TrustInfo:
    """A trust with the roles it delegates (those that still exist)."""

    row: Trust
    roles: list[Role]


def refuse_application_credential(ctx: RequestContext) -> None:
    """Tokens of application credentials may not read or manage trusts (Keystone's rule)."""
    if "application_credential" in ctx.methods:
        raise ForbiddenTrustAction("Using method 'application_credential' is not allowed "
                                   "for managing trusts")


class Trusts:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    @property
    def max_redelegation_count(self) -> int:
        return self.identity.settings.trust.max_redelegation_count

    # -- reading --------------------------------------------------------------------------
    def live(self, s: Session, trust_id: str | None, count_uses: bool = True) -> Trust:
        """A trust that can still be used: it exists, has not expired nor run out of uses,
        and its redelegation chain still holds (Keystone's get_trust). The tokens of a
        trust's last use validate: ``count_uses`` False."""
        row = s.get(Trust, trust_id) if trust_id else None
        if row is None or not self._usable(row, count_uses):
            raise TrustNotFound(str(trust_id))
        if row.redelegated_trust_id:
            self._check_chain(s, row)
        return row

    @staticmethod
    def _usable(row: Trust, count_uses: bool = True) -> bool:
        if row.expires_at is not None and row.expires_at < utcnow():
            return False
        return not count_uses or row.remaining_uses is None or row.remaining_uses > 0

    def pedigree(self, s: Session, row: Trust) -> list[Trust]:
        """The trust and the trusts it redelegates, up to the first one."""
        chain = [row]
        while chain[-1].redelegated_trust_id:
            parent = s.get(Trust, chain[-1].redelegated_trust_id)
            if parent is None:
                raise TrustNotFound(str(chain[-1].redelegated_trust_id))
            chain.append(parent)
        return chain

    def _check_chain(self, s: Session, row: Trust) -> None:
        chain = self.pedigree(s, row)
        for parent, child in zip(chain[1:], chain, strict=False):
            self.check_redelegation(s, parent, self._as_request(s, child))
            trustee = s.get(User, parent.trustee_user_id)
            if trustee is None or not trustee.enabled:
                raise Forbidden("One of the trust agents is disabled or deleted")

    def _as_request(self, s: Session, row: Trust) -> dict[str, Any]:
        return {"expires_at": row.expires_at, "remaining_uses": row.remaining_uses,
                "impersonation": row.impersonation, "role_ids": self.role_ids(s, row.id)}

    def role_ids(self, s: Session, trust_id: str) -> list[str]:
        return list(s.scalars(select(TrustRole.role_id).where(TrustRole.trust_id == trust_id)))

    def _info(self, s: Session, row: Trust) -> TrustInfo:
        roles = s.scalars(select(Role).where(Role.id.in_(self.role_ids(s, row.id)))
                          .order_by(Role.name))
        return TrustInfo(row, list(roles))

    def get(self, trust_id: str) -> TrustInfo:
        with self.db.session() as s:
            return self._info(s, self.live(s, trust_id))

    def target(self, trust_id: str) -> dict[str, Any]:
        """What the trust rules judge; a trust that is gone is a 404 before any rule."""
        with self.db.session() as s:
            row = self.live(s, trust_id)
            return {"trust": {"id": row.id, "trustor_user_id": row.trustor_user_id,
                              "trustee_user_id": row.trustee_user_id,
                              "project_id": row.project_id}}

    def list_trusts(self, trustor_user_id: str | None = None, trustee_user_id: str | None = None,
             everything: bool = True) -> list[Trust]:
        """Keystone's listing: all trusts, or a trustor's, or else a trustee's; none when
        the query names neither (Keystone's reading of unknown filters)."""
        q = select(Trust).order_by(Trust.created_at)
        if trustor_user_id:
            q = q.where(Trust.trustor_user_id == trustor_user_id)
        elif trustee_user_id:
            q = q.where(Trust.trustee_user_id == trustee_user_id)
        elif not everything:
            return []
        with self.db.session() as s:
            return list(s.scalars(q))

    def roles_of(self, trust_id: str) -> list[Role]:
        return self.get(trust_id).roles

    def role_of(self, trust_id: str, role_id: str) -> Role:
        for role in self.get(trust_id).roles:
            if role.id == role_id:
                return role
        raise ResourceNotFound("role", role_id)

    # -- creating -------------------------------------------------------------------------
    def create(self, ctx: RequestContext, fields: dict[str, Any],
               parent_trust_id: str | None, oauth_scoped: bool = False) -> TrustInfo:
        """A new trust from ``ctx``'s user; ``parent_trust_id`` when the caller holds a
        trust-scoped token (redelegation). OAuth-scoped tokens may not delegate further."""
        refuse_application_credential(ctx)
        if fields.get("project_id") and not fields.get("roles"):
            raise ForbiddenTrustAction("At least one role should be specified")
        if ctx.user_id != fields["trustor_user_id"]:
            raise ForbiddenTrustAction("The authenticated user should match the trustor")
        with self.db.session() as s:
            self.identity.users.user(s, fields["trustee_user_id"])
            request = dict(fields, role_ids=self._normalize_roles(s, fields.get("roles") or []))
            if oauth_scoped and not parent_trust_id:
                raise ForbiddenTrustAction("Redelegation allowed for delegated by trust only")
            parent = self.live(s, parent_trust_id) if parent_trust_id else None
            self._require_trustor_roles(s, request, parent)
            request["expires_at"] = parse_expiry(fields.get("expires_at"))
            self._apply_redelegation_rules(s, request, parent)
            row = self._store(s, request, parent)
            return self._info(s, row)

    def _normalize_roles(self, s: Session, refs: list[dict[str, Any]]) -> list[str]:
        ids: list[str] = []
        for ref in refs:
            role_id = ref["id"] if ref.get("id") else \
                self.identity.assignments.role_by_name(s, ref["name"]).id
            if role_id not in ids:
                ids.append(role_id)
        return ids

    def _require_trustor_roles(self, s: Session, request: dict[str, Any],
                               parent: Trust | None) -> None:
        """Every delegated role must be the trustor's (the chain's first trustor's) on the
        project, directly, by group, inherited or implied."""
        held: set[str] = set()
        project_id = request.get("project_id")
        if project_id:
            self.identity.resources.project(s, project_id)
            trustor = self.pedigree(s, parent)[-1].trustor_user_id if parent else \
                request["trustor_user_id"]
            assignments = self.identity.assignments
            held = assignments.expand_implied(
                s, assignments.direct_role_ids(s, trustor, "project", project_id))
        for role_id in request["role_ids"]:
            if role_id not in held:
                raise ResourceNotFound("role", role_id)

    def _apply_redelegation_rules(self, s: Session, request: dict[str, Any],
                                  parent: Trust | None) -> None:
        """Keystone's create_trust: the depth a trust may still be redelegated and the
        constraints of the trust it redelegates."""
        maximum = self.max_redelegation_count
        requested = request.get("redelegation_count")
        redelegatable = bool(request.get("allow_redelegation")) and requested != 0
        remaining_uses = request.get("remaining_uses")
        if not redelegatable:
            request["redelegation_count"] = requested = 0
            if remaining_uses is not None and remaining_uses <= 0:
                raise BadRequest("remaining_uses must be a positive integer or null.")
        else:
            if requested and requested > maximum:
                raise Forbidden(f"Requested redelegation depth of {requested} is greater "
                                f"than allowed {maximum}")
            if remaining_uses is not None:
                raise BadRequest("remaining_uses must not be set if redelegation is allowed")
        if parent is not None:
            remaining = (parent.redelegation_count or 0) - 1
            if redelegatable and requested and requested != remaining:
                raise Forbidden('Modifying "redelegation_count" upon redelegation is '
                                'forbidden. Omitting this parameter is advised.')
            if request.get("redelegation_count") is None:
                request["redelegation_count"] = remaining
            for ancestor in self.pedigree(s, parent):
                self.check_redelegation(s, ancestor, request)
        if request.get("redelegation_count") is None:
            request["redelegation_count"] = maximum

    def check_redelegation(self, s: Session, parent: Trust, child: dict[str, Any]) -> None:
        """What a redelegated trust may not exceed of the trust it redelegates; fills in
        the parent's expiry when the child names none."""
        maximum = self.max_redelegation_count
        depth = parent.redelegation_count or 0
        if not 0 < depth <= maximum:
            raise Forbidden(f"Remaining redelegation depth of {depth} out of allowed range "
                            f"of [0..{maximum}]")
        if child.get("remaining_uses") is not None:
            raise Forbidden(f'Field "remaining_uses" is set to {child["remaining_uses"]} '
                            "while it must not be set in order to redelegate a trust")
        child_expiry: dt.datetime | None = child.get("expires_at")
        if child_expiry is None:
            child["expires_at"] = parent.expires_at
        elif parent.expires_at is not None and parent.expires_at < child_expiry:
            raise Forbidden("Requested expiration time is more than redelegated trust can "
                            "provide")
        if not set(child["role_ids"]) <= set(self.role_ids(s, parent.id)):
            raise Forbidden("Some of requested roles are not in redelegated trust")
        if child.get("impersonation") and not parent.impersonation:
            raise Forbidden("Impersonation is not allowed because redelegated trust does "
                            f"not specify impersonation. Redelegated trust id: {parent.id}")

    def _store(self, s: Session, request: dict[str, Any], parent: Trust | None) -> Trust:
        extra = {k: v for k, v in request.items()
                 if k not in TRUST_FIELDS and k != "role_ids"}
        row = Trust(id=new_id(), trustor_user_id=request["trustor_user_id"],
                    trustee_user_id=request["trustee_user_id"],
                    project_id=request.get("project_id") or None,
                    impersonation=bool(request["impersonation"]),
                    expires_at=request.get("expires_at"),
                    remaining_uses=request.get("remaining_uses"),
                    redelegated_trust_id=parent.id if parent else None,
                    redelegation_count=request["redelegation_count"], extra=extra)
        s.add(row)
        s.flush()
        for role_id in request["role_ids"]:
            s.add(TrustRole(trust_id=row.id, role_id=role_id))
        s.flush()
        return row

    # -- deleting -------------------------------------------------------------------------
    def delete(self, ctx: RequestContext, trust_id: str) -> None:
        refuse_application_credential(ctx)
        with self.db.session() as s:
            row = s.get(Trust, trust_id)
            if row is None:
                raise TrustNotFound(trust_id)
            self._delete_tree(s, row)
            bump_generation(s)

    def _delete_tree(self, s: Session, row: Trust) -> None:
        """The trust and, recursively, the trusts that redelegate it (same trustor)."""
        children = s.scalars(select(Trust).where(
            Trust.redelegated_trust_id == row.id,
            Trust.trustor_user_id == row.trustor_user_id))
        for child in list(children):
            self._delete_tree(s, child)
        s.execute(delete(TrustRole).where(TrustRole.trust_id == row.id))
        self.identity.revoke_events.record(s, trust_id=row.id)
        s.delete(row)
        s.flush()

    def delete_for_user(self, s: Session, user_id: str) -> None:
        """For the users module: a deleted user's trusts, as trustor or trustee, go too."""
        rows = s.scalars(select(Trust).where(or_(Trust.trustor_user_id == user_id,
                                                 Trust.trustee_user_id == user_id)))
        for row in list(rows):
            if s.get(Trust, row.id) is not None:
                self._delete_tree(s, row)
        bump_generation(s)

    def delete_for_project(self, s: Session, project_id: str) -> None:
        """For the resources module: the trusts on a deleted project go with it."""
        for row in list(s.scalars(select(Trust).where(Trust.project_id == project_id))):
            if s.get(Trust, row.id) is not None:
                self._delete_tree(s, row)

    # -- uses -----------------------------------------------------------------------------
    def consume_use(self, trust_id: str) -> None:
        """One use less, for a token just issued; refused when none is left (a concurrent
        request took the last one). Optimistic, as Keystone's: the row must still hold the
        count read."""
        for _attempt in range(10):
            with self.db.session() as s:
                row = s.get(Trust, trust_id)
                if row is None or (row.remaining_uses is not None and row.remaining_uses <= 0):
                    raise TrustNotFound(trust_id)
                if row.remaining_uses is None:
                    return
                done = s.execute(update(Trust).where(
                    Trust.id == trust_id, Trust.remaining_uses == row.remaining_uses)
                    .values(remaining_uses=row.remaining_uses - 1))
                if done.rowcount == 1:  # type: ignore[attr-defined]
                    return
        raise Forbidden(f"No remaining uses for trust: {trust_id}.")
