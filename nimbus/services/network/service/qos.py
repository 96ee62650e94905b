"""QoS policies and rules, and what the other families ask of them.

For ports (and anything else with a ``qos_policy_id``), inside the caller's transaction::

    from nimbus.services.network.service import qos
    qos.check_policy(s, ctx, values["qos_policy_id"])   # 404 QosPolicyNotFound if unseen
    qos.rules_for(s, policy_id) -> messages.Qos          # for HostState's Port.qos
    qos.rules_for_port(s, port.qos_policy_id, network.qos_policy_id, port.device_owner)

A network's policy applies to its ports that have none of their own, except Neutron's
``network:*`` ports (DHCP, router), as Neutron does.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.agents.network import messages
from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import ConflictNeutron, InUse, ResourceNotFound
from nimbus.services.network.models.core import Network, Port, RbacPolicy
from nimbus.services.network.models.qos import QosPolicy, QosRule
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.schemas.qos import RULE_TYPES, RuleType
from nimbus.services.network.service import query as q
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.standard import bump, drop_tags, standard_view, tags_of

OBJECT_TYPE = "qos_policy"
SHARED = "access_as_shared"
COLUMNS = {"id": QosPolicy.id, "name": QosPolicy.name, "project_id": QosPolicy.project_id,
           "description": QosPolicy.description, "is_default": QosPolicy.is_default,
           "revision_number": QosPolicy.revision_number,
           "created_at": QosPolicy.created_at, "updated_at": QosPolicy.updated_at}
RULE_COLUMNS = ("max_kbps", "max_burst_kbps", "dscp_mark", "min_kbps")
# (``list`` inside the stores is their method: these name the builtins lists.)
Rows = list[dict[str, Any]]
PolicyRows = list[QosPolicy]


def not_found(policy_id: str) -> ResourceNotFound:
    return ResourceNotFound("QosPolicy", policy_id, label="QoS policy")


def _shared(project_id: str | None) -> Any:
    targets = ["*"] + ([project_id] if project_id else [])
    return exists().where(RbacPolicy.object_type == OBJECT_TYPE,
                          RbacPolicy.object_id == QosPolicy.id, RbacPolicy.action == SHARED,
                          RbacPolicy.target_project.in_(targets))


def visible(ctx: RequestContext) -> Any:
    return or_(QosPolicy.project_id == ctx.project_id, _shared(ctx.project_id))


def check_policy(s: Session, ctx: RequestContext, policy_id: str | None) -> None:
    """A policy the caller may attach: its own, a shared one, any for an admin."""
    if policy_id is None:
        return
    stmt = select(QosPolicy.id).where(QosPolicy.id == policy_id)
    if not caller_is_admin(ctx):
        stmt = stmt.where(visible(ctx))
    if s.scalar(stmt) is None:
        raise not_found(policy_id)


def default_policy(s: Session, project_id: str) -> str | None:
    """The project's default policy (qos-default): new networks get it."""
    return s.scalar(select(QosPolicy.id).where(QosPolicy.project_id == project_id,
                                               QosPolicy.is_default.is_(True)))


def rules_for(s: Session, policy_id: str | None) -> messages.Qos | None:
    """The policy's rules as the agent applies them (tc), or None without a policy."""
    if policy_id is None:
        return None
    out = messages.Qos()
    for rule in s.scalars(select(QosRule).where(QosRule.policy_id == policy_id)):
        if rule.rule_type == "bandwidth_limit" and rule.direction == "ingress":
            out.ingress_max_kbps, out.ingress_max_burst_kbps = rule.max_kbps, \
                rule.max_burst_kbps
        elif rule.rule_type == "bandwidth_limit":
            out.max_kbps, out.max_burst_kbps = rule.max_kbps, rule.max_burst_kbps
        elif rule.rule_type == "dscp_marking":
            out.dscp_mark = rule.dscp_mark
    return out


def rules_for_port(s: Session, port_policy_id: str | None, network_policy_id: str | None,
                   device_owner: str) -> messages.Qos | None:
    if port_policy_id is None and not device_owner.startswith("network:"):
        port_policy_id = network_policy_id
    return rules_for(s, port_policy_id)


def rule_view(rule: QosRule, *, with_type: bool = False) -> dict[str, Any]:
    rtype = RULE_TYPES[rule.rule_type]
    out: dict[str, Any] = {"id": rule.id}
    for attr in rtype.rd.attrs:
        if attr.name != "id":
            out[attr.name] = getattr(rule, attr.name)
    if with_type:
        out.update({"qos_policy_id": rule.policy_id, "type": rule.rule_type})
    return out


class QosPolicies(ResourceStore):
    resource_type = "policies"

    def list(self, ctx: RequestContext, query: ListQuery) -> Rows:
        with self.db.session() as s:
            stmt = select(QosPolicy)
            if not caller_is_admin(ctx):
                stmt = stmt.where(visible(ctx))
            stmt, rest = q.apply_filters(stmt, COLUMNS, query)
            for value in rest.get("shared", []):
                stmt = stmt.where(_shared(None) if value else ~_shared(None))
            stmt = q.apply_tags(stmt, QosPolicy.id, self.resource_type, query.tags)
            stmt = q.apply_order_and_page(s, stmt, QosPolicy, COLUMNS, query, "QosPolicy")
            return self.render_many(s, q.finish_page(list(s.scalars(stmt)), query))

    def row(self, s: Session, policy_id: str) -> QosPolicy:
        row = s.get(QosPolicy, policy_id)
        if row is None:
            raise not_found(policy_id)
        return row

    def get(self, ctx: RequestContext, policy_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, policy_id)])[0]

    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            if values.get("is_default"):
                self._no_other_default(s, values["project_id"], None)
            row = QosPolicy(id=str(uuid.uuid4()), project_id=values["project_id"],
                            name=values.get("name") or "",
                            description=values.get("description") or "",
                            is_default=bool(values.get("is_default")))
            s.add(row)
            s.flush()
            if values.get("shared"):
                self._share(s, row, True)
            policy_id = row.id
        return self.get(ctx, policy_id)

    def _no_other_default(self, s: Session, project_id: str, policy_id: str | None) -> None:
        other = default_policy(s, project_id)
        if other is not None and other != policy_id:
            raise ConflictNeutron("QoSPolicyDefaultAlreadyExists",
                                  f"A default QoS policy exists for project {project_id}.")

    def _share(self, s: Session, row: QosPolicy, on: bool) -> None:
        wildcard = (RbacPolicy.object_type == OBJECT_TYPE, RbacPolicy.object_id == row.id,
                    RbacPolicy.action == SHARED, RbacPolicy.target_project == "*")
        present = s.scalar(select(RbacPolicy).where(*wildcard))
        if on and present is None:
            s.add(RbacPolicy(id=str(uuid.uuid4()), project_id=row.project_id,
                             object_type=OBJECT_TYPE, object_id=row.id, action=SHARED,
                             target_project="*"))
        elif not on and present is not None:
            s.delete(present)

    def update(self, ctx: RequestContext, policy_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, policy_id)
            if values.get("is_default"):
                self._no_other_default(s, row.project_id, row.id)
            for key in ("name", "description", "is_default"):
                if key in values:
                    setattr(row, key, values[key])
            if "shared" in values:
                self._share(s, row, values["shared"])
            bump(row)
        return self.get(ctx, policy_id)

    def delete(self, ctx: RequestContext, policy_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, policy_id)
            for kind, model in (("network", Network), ("port", Port)):
                user = s.scalar(select(model.id).where(model.qos_policy_id == policy_id))
                if user is not None:
                    raise InUse("QosPolicy", f"QoS Policy {policy_id} is used by {kind} "
                                             f"{user}.")
            s.execute(delete(RbacPolicy).where(
                RbacPolicy.object_type == OBJECT_TYPE, RbacPolicy.object_id == policy_id))
            drop_tags(s, self.resource_type, policy_id)
            s.delete(row)

    def render_many(self, s: Session, rows: PolicyRows) -> Rows:
        ids = [r.id for r in rows]
        tags = tags_of(s, self.resource_type, ids)
        rules: dict[str, Rows] = {}
        shared: set[str] = set()
        if ids:
            for rule in s.scalars(select(QosRule).where(QosRule.policy_id.in_(ids))
                                  .order_by(QosRule.rule_type, QosRule.id)):
                rules.setdefault(rule.policy_id, []).append(rule_view(rule, with_type=True))
            shared = set(s.scalars(select(RbacPolicy.object_id).where(
                RbacPolicy.object_type == OBJECT_TYPE, RbacPolicy.object_id.in_(ids),
                RbacPolicy.action == SHARED, RbacPolicy.target_project == "*")))
        return [{**standard_view(r, tags.get(r.id, [])), "is_default": r.is_default,
                 "shared": r.id in shared, "rules": rules.get(r.id, [])} for r in rows]


class QosRules:
    """The rules of one type under a policy; the API has checked the caller may see it."""

    def __init__(self, policies: QosPolicies) -> None:
        self.policies = policies
        self.db = policies.db

    def list(self, policy_id: str, rtype: RuleType, filters: dict[str, list[Any]]
             ) -> Rows:
        with self.db.session() as s:
            stmt = select(QosRule).where(QosRule.policy_id == policy_id,
                                         QosRule.rule_type == rtype.name)
            for name, values in filters.items():
                stmt = stmt.where(getattr(QosRule, name).in_(values))
            return [rule_view(r) for r in s.scalars(stmt.order_by(QosRule.id))]

    def find(self, s: Session, policy_id: str | None, rtype: RuleType,
             rule_id: str) -> QosRule:
        rule = s.get(QosRule, rule_id)
        if rule is None or rule.rule_type != rtype.name or \
                (policy_id is not None and rule.policy_id != policy_id):
            raise ResourceNotFound("QosRule", rule_id, label="QoS rule") if policy_id is None \
                else _rule_not_found(rule_id, policy_id)
        return rule

    def get(self, policy_id: str | None, rtype: RuleType, rule_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return rule_view(self.find(s, policy_id, rtype, rule_id))

    def policy_of(self, rtype: RuleType, rule_id: str) -> str:
        with self.db.session() as s:
            return self.find(s, None, rtype, rule_id).policy_id

    def create(self, policy_id: str, rtype: RuleType, values: dict[str, Any]) -> dict[str, Any]:
        rule = QosRule(id=str(uuid.uuid4()), policy_id=policy_id, rule_type=rtype.name,
                       direction=values.get("direction") or "",
                       **{k: values.get(k) for k in RULE_COLUMNS})
        try:
            with self.db.session() as s, s.begin():
                self._conflicts(s, policy_id, rtype, rule)
                s.add(rule)
                s.flush()
                bump(self.policies.row(s, policy_id))
                view = rule_view(rule)
        except IntegrityError:
            raise self._conflict(rtype, policy_id, None) from None
        self._tell(policy_id)
        return view

    def _conflicts(self, s: Session, policy_id: str, rtype: RuleType, rule: QosRule) -> None:
        same = s.scalar(select(QosRule.id).where(
            QosRule.policy_id == policy_id, QosRule.rule_type == rtype.name,
            QosRule.direction == rule.direction, QosRule.id != rule.id))
        if same is not None:
            raise self._conflict(rtype, policy_id, same)

    def _conflict(self, rtype: RuleType, policy_id: str, rule_id: str | None
                  ) -> ConflictNeutron:
        return ConflictNeutron("QoSRulesConflict", f"Rule {rtype.name} conflicts with rule "
                                                   f"{rule_id} which already exists in QoS "
                                                   f"Policy {policy_id}.")

    def update(self, policy_id: str, rtype: RuleType, rule_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            rule = self.find(s, policy_id, rtype, rule_id)
            with s.no_autoflush:
                for key, value in values.items():
                    setattr(rule, key, value)
                self._conflicts(s, policy_id, rtype, rule)
            bump(self.policies.row(s, policy_id))
            view = rule_view(rule)
        self._tell(policy_id)
        return view

    def delete(self, policy_id: str, rtype: RuleType, rule_id: str) -> None:
        with self.db.session() as s, s.begin():
            s.delete(self.find(s, policy_id, rtype, rule_id))
            bump(self.policies.row(s, policy_id))
        self._tell(policy_id)

    def _tell(self, policy_id: str) -> None:
        """The agents of the networks whose ports the policy shapes resync."""
        with self.db.session() as s:
            nets = set(s.scalars(select(Network.id).where(Network.qos_policy_id == policy_id)))
            nets |= set(s.scalars(select(Port.network_id).where(
                Port.qos_policy_id == policy_id)))
        if nets:
            self.policies.changed(networks=sorted(nets))


def _rule_not_found(rule_id: str, policy_id: str) -> ResourceNotFound:
    err = ResourceNotFound("QosRule", rule_id)
    err.message = f"QoS rule {rule_id} for policy {policy_id} could not be found."
    return err


__all__ = ["QosPolicies", "QosRules", "check_policy", "rules_for", "rules_for_port",
           "default_policy"]
