"""RBAC policies: who else may use a network (shared, external), a subnet pool or an
address scope. Neutron's rules: only the owner (or an admin) grants; a duplicate is a 409;
taking away access that the target project's resources still depend on is RbacPolicyInUse.
A network's ``shared`` and ``router:external`` follow these rows."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import (
    BadRequestNeutron,
    ConflictNeutron,
    InvalidInput,
    ResourceNotFound,
)
from nimbus.services.network.models.core import Network, Port, RbacPolicy, Subnet
from nimbus.services.network.models.subnetpools import AddressScope, SubnetPool
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.schemas.rbac import ACTIONS
from nimbus.services.network.service import query as q
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.networks import visible_networks

SHARED, EXTERNAL = "access_as_shared", "access_as_external"
COLUMNS = {"id": RbacPolicy.id, "project_id": RbacPolicy.project_id,
           "object_type": RbacPolicy.object_type, "object_id": RbacPolicy.object_id,
           "action": RbacPolicy.action, "target_tenant": RbacPolicy.target_project,
           "target_project": RbacPolicy.target_project}
MODELS: dict[str, Any] = {"network": Network, "subnetpool": SubnetPool,
                          "address_scope": AddressScope}
KINDS = {"network": "Network", "subnetpool": "SubnetPool", "address_scope": "AddressScope"}


class RbacPolicyNotFound(ResourceNotFound):
    def __init__(self, policy_id: str) -> None:
        super().__init__("RbacPolicy", policy_id)
        self.message = f"RBAC policy of type unknown with ID {policy_id} not found"
        self.args = (self.message,)


def in_use(object_id: str, details: str) -> ConflictNeutron:
    return ConflictNeutron("RbacPolicyInUse", f"RBAC policy on object {object_id} cannot be "
                                              f"removed because other objects depend on it."
                                              f"\nDetails: {details}")


class RbacPolicies(ResourceStore):
    resource_type = "rbac_policies"

    def list(self, ctx: RequestContext, query: ListQuery) -> list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(RbacPolicy)
            if not caller_is_admin(ctx):
                stmt = stmt.where(RbacPolicy.project_id == ctx.project_id)
            stmt, _rest = q.apply_filters(stmt, COLUMNS, query)
            stmt = q.apply_order_and_page(s, stmt, RbacPolicy, COLUMNS, query, "RbacPolicy")
            return [self._view(r) for r in q.finish_page(list(s.scalars(stmt)), query)]

    def get(self, ctx: RequestContext, policy_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self._view(self._row(s, policy_id))

    def _view(self, row: RbacPolicy) -> dict[str, Any]:
        return {"id": row.id, "project_id": row.project_id, "tenant_id": row.project_id,
                "object_type": row.object_type, "object_id": row.object_id,
                "action": row.action, "target_tenant": row.target_project,
                "target_project": row.target_project}

    # -- create -------------------------------------------------------------------------
    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        entry = self._entry(values)
        with self.db.session() as s:
            target = self._object(s, ctx, entry["object_type"], entry["object_id"])
            if not caller_is_admin(ctx) and target.project_id != ctx.project_id:
                noun = "networks" if entry["object_type"] == "network" else "objects"
                raise InvalidInput(f"Only admins can manipulate policies on {noun} they do "
                                   "not own")
        policy_id = str(uuid.uuid4())
        try:
            with self.db.session() as s, s.begin():
                s.add(RbacPolicy(id=policy_id, project_id=values["project_id"], **entry))
                if entry["object_type"] == "network" and entry["action"] == EXTERNAL:
                    s.get(Network, entry["object_id"]).router_external = True  # type: ignore
        except IntegrityError:
            raise ConflictNeutron("DuplicateRbacPolicy",
                                  "An RBAC policy already exists with those values.") from None
        self._changed(entry["object_type"], entry["object_id"])
        return self.get(ctx, policy_id)

    def _entry(self, values: dict[str, Any]) -> dict[str, Any]:
        target = values.get("target_project") or values.get("target_tenant")
        for key, value in (("object_type", values.get("object_type")),
                           ("object_id", values.get("object_id")),
                           ("target_tenant", target), ("action", values.get("action"))):
            if value is None:
                raise BadRequestNeutron("rbac_policy", f"Failed to parse request. Required "
                                                       f"attribute '{key}' not specified")
        object_type, action = values["object_type"], values["action"]
        if action not in ACTIONS[object_type]:
            raise InvalidInput(f"Invalid action '{action}' for object type '{object_type}'. "
                               f"Valid actions: {list(ACTIONS[object_type])}")
        return {"object_type": object_type, "object_id": values["object_id"],
                "action": action, "target_project": target}

    def _object(self, s: Session, ctx: RequestContext, object_type: str,
                object_id: str) -> Any:
        model = MODELS[object_type]
        stmt = select(model).where(model.id == object_id)
        if object_type == "network" and not caller_is_admin(ctx):
            stmt = stmt.where(visible_networks(ctx))
        row = s.scalars(stmt).first()
        if row is None:
            label = {"SubnetPool": "Subnet pool", "AddressScope": "Address scope"}.get(
                KINDS[object_type])
            raise ResourceNotFound(KINDS[object_type], object_id, label=label)
        return row

    # -- update / delete ----------------------------------------------------------------
    def update(self, ctx: RequestContext, policy_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        new = values.get("target_project") or values.get("target_tenant")
        with self.db.session() as s, s.begin():
            row = self._row(s, policy_id)
            if new and new != row.target_project:
                if new != "*":
                    self._check_removal(s, row)
                row.target_project = new
        self._changed(row.object_type, row.object_id)
        return self.get(ctx, policy_id)

    def delete(self, ctx: RequestContext, policy_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self._row(s, policy_id)
            self._check_removal(s, row)
            object_type, object_id, action = row.object_type, row.object_id, row.action
            s.delete(row)
            s.flush()
            if object_type == "network" and action == EXTERNAL and not s.scalar(
                    select(func.count()).where(RbacPolicy.object_type == "network",
                                               RbacPolicy.object_id == object_id,
                                               RbacPolicy.action == EXTERNAL)):
                network = s.get(Network, object_id)
                if network is not None:
                    network.router_external = False
        self._changed(object_type, object_id)

    def _row(self, s: Session, policy_id: str) -> RbacPolicy:
        row = s.get(RbacPolicy, policy_id)
        if row is None:
            raise RbacPolicyNotFound(policy_id)
        return row

    def _check_removal(self, s: Session, row: RbacPolicy) -> None:
        """The project losing access must hold nothing that needs it."""
        owner = s.scalar(select(MODELS[row.object_type].project_id)
                         .where(MODELS[row.object_type].id == row.object_id))
        if row.target_project == owner:
            return
        others = set(s.scalars(select(RbacPolicy.target_project).where(
            RbacPolicy.object_type == row.object_type, RbacPolicy.object_id == row.object_id,
            RbacPolicy.action == row.action, RbacPolicy.id != row.id)))
        if row.target_project != "*" and "*" in others:
            return
        bound = self._bound_projects(s, row) - {owner, ""}
        still = others | {owner}
        if row.target_project == "*":
            lost = bound - still
        else:
            lost = bound & {row.target_project}
        if lost:
            detail = (f"project_id={row.target_project}" if row.object_type != "network"
                      else f"Unable to reconfigure sharing settings for network "
                           f"{row.object_id}. Multiple projects are using it.")
            if row.action == EXTERNAL:
                detail = ("There are routers attached to this network that depend on this "
                          "policy for access.")
            raise in_use(row.object_id, detail)

    def _bound_projects(self, s: Session, row: RbacPolicy) -> set[str]:
        """Projects whose resources use the object through this kind of access."""
        if row.object_type == "network" and row.action == SHARED:
            return set(s.scalars(select(Port.project_id).where(
                Port.network_id == row.object_id)))
        if row.object_type == "network":
            # Router gateways: the l3 family registers before_delete-style checks; ports
            # on the network owned by routers of other projects are what we can see here.
            return set(s.scalars(select(Port.project_id).where(
                Port.network_id == row.object_id, Port.device_owner == "network:router_gateway")))
        if row.object_type == "subnetpool":
            return set(s.scalars(select(Subnet.project_id).where(
                Subnet.subnetpool_id == row.object_id)))
        return set(s.scalars(select(SubnetPool.project_id).where(
            SubnetPool.address_scope_id == row.object_id)))

    def _changed(self, object_type: str, object_id: str) -> None:
        if object_type == "network":
            self.changed(networks=[object_id])


__all__ = ["RbacPolicies"]
