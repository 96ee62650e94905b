"""Security group rules: Neutron's checks (port ranges per protocol, ICMP type/code,
ethertype against the prefix and the protocol, one remote at most, the remote group and
address group usable by the rule's project), its duplicate detection, and the rule's view.

Every write bumps the group's revision and tells the agents which group moved, so they
update that group's rules in place.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import BadRequest
from nimbus.services.network.errors import (
    ConflictNeutron,
    InvalidNeutron,
    security_group_rule_not_found,
)
from nimbus.services.network.models.security_groups import (
    DefaultSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
)
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.schemas.security_groups import (
    IP_PROTOCOL_MAP,
    IPV6_ONLY,
    NUM_TO_NAME,
    PORT_PROTOCOL_NUMS,
    PORT_PROTOCOLS,
    normalized_cidr,
)
from nimbus.services.network.service import query as q
from nimbus.services.network.service import quotas
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.standard import bump, iso

R = SecurityGroupRule
COLUMNS = {"id": R.id, "project_id": R.project_id, "security_group_id": R.security_group_id,
           "direction": R.direction, "ethertype": R.ethertype, "protocol": R.protocol,
           "port_range_min": R.port_range_min, "port_range_max": R.port_range_max,
           "remote_ip_prefix": R.remote_ip_prefix, "remote_group_id": R.remote_group_id,
           "remote_address_group_id": R.remote_address_group_id,
           "normalized_cidr": R.normalized_cidr, "description": R.description,
           "revision_number": R.revision_number, "created_at": R.created_at,
           "updated_at": R.updated_at}
ANY_PREFIX = (None, "0.0.0.0/0", "::/0")
DUPLICATE_KEYS = ("direction", "ethertype", "port_range_max", "port_range_min", "protocol",
                  "remote_group_id", "remote_address_group_id", "remote_ip_prefix",
                  "security_group_id")


def rule_view(rule: SecurityGroupRule, belongs_to_default: bool) -> dict[str, Any]:
    return {
        "id": rule.id, "project_id": rule.project_id, "tenant_id": rule.project_id,
        "security_group_id": rule.security_group_id, "ethertype": rule.ethertype,
        "direction": rule.direction, "protocol": rule.protocol,
        "port_range_min": rule.port_range_min, "port_range_max": rule.port_range_max,
        "remote_ip_prefix": rule.remote_ip_prefix,
        "remote_address_group_id": rule.remote_address_group_id,
        "normalized_cidr": normalized_cidr(rule.remote_ip_prefix),
        "remote_group_id": rule.remote_group_id,
        "belongs_to_default_sg": belongs_to_default, "description": rule.description or "",
        "created_at": iso(rule.created_at), "updated_at": iso(rule.updated_at),
        "revision_number": rule.revision_number,
    }


# -- Neutron's rule checks (securitygroups_db._validate_base_security_group_rule_attributes) --

def proto_number(protocol: str) -> int:
    protocol = "ipv6-icmp" if protocol == "icmpv6" else protocol
    return int(IP_PROTOCOL_MAP.get(protocol, protocol))


def canonical(rule: dict[str, Any]) -> dict[str, Any]:
    """The rule as Neutron stores it, or Neutron's 400 for what it refuses."""
    rule = dict(rule)
    if rule["ethertype"] == "IPv6":
        # Legacy IPv6 ICMP names and the number 1 mean ICMPv6 on an IPv6 rule.
        if rule["protocol"] in ("icmp", "icmpv6"):
            rule["protocol"] = "ipv6-icmp"
        elif rule["protocol"] == "1":
            rule["protocol"] = "58"
    if rule["port_range_min"] == 1 and rule["port_range_max"] == 65535:
        rule["port_range_min"] = rule["port_range_max"] = None
    check_port_range(rule)
    prefix = rule["remote_ip_prefix"]
    if prefix and rule["ethertype"] != ("IPv6" if ":" in prefix else "IPv4"):
        raise InvalidNeutron("SecurityGroupRuleParameterConflict",
                             f"Conflicting value ethertype {rule['ethertype']} for CIDR "
                             f"{prefix}")
    if rule["protocol"] in IPV6_ONLY and rule["ethertype"] == "IPv4":
        raise InvalidNeutron("SecurityGroupEthertypeConflictWithProtocol",
                             f"Invalid ethertype {rule['ethertype']} for protocol "
                             f"{rule['protocol']}.")
    remotes = [k for k in ("remote_ip_prefix", "remote_group_id", "remote_address_group_id")
               if rule.get(k)]
    if len(remotes) > 1:
        raise InvalidNeutron("SecurityGroupMultipleRemoteEntites",
                             "Only one of remote_ip_prefix or remote_group_id or "
                             "remote_address_group_id may be provided.")
    rule["normalized_cidr"] = normalized_cidr(prefix)
    return rule


def check_port_range(rule: dict[str, Any]) -> None:
    low, high = rule["port_range_min"], rule["port_range_max"]
    if low is None and high is None:
        return
    if not rule["protocol"]:
        raise InvalidNeutron("SecurityGroupProtocolRequiredWithPorts",
                             "Must also specify protocol if port range is given.")
    number = proto_number(rule["protocol"])
    if number in PORT_PROTOCOL_NUMS:
        if low == 0 or high == 0:
            raise InvalidNeutron("SecurityGroupInvalidPortValue", "Invalid value for port 0")
        if low is None or high is None or low > high:
            raise InvalidNeutron("SecurityGroupInvalidPortRange", "For TCP/UDP protocols, "
                                 "port_range_min must be <= port_range_max")
    elif number in (1, 58):
        for attr, field, value in (("port_range_min", "type", low),
                                   ("port_range_max", "code", high)):
            if value is not None and not 0 <= value <= 255:
                raise InvalidNeutron("SecurityGroupInvalidIcmpValue",
                                     f"Invalid value for ICMP {field} ({attr}) {value}. "
                                     "It must be 0 to 255.")
        if low is None:
            raise InvalidNeutron("SecurityGroupMissingIcmpType",
                                 f"ICMP code (port-range-max) {high} is provided but ICMP "
                                 "type (port-range-min) is missing.")
    else:
        names = ", ".join(p.upper() for p in PORT_PROTOCOLS)
        raise InvalidNeutron("SecurityGroupInvalidProtocolForPort",
                             f"Ports cannot be specified for protocol {number}. Ports are "
                             f"only supported for {names}.")


def proto_key(protocol: str | None, ethertype: str | None) -> str:
    if protocol is None or protocol == "any":
        return "+"
    if ethertype == "IPv6":
        protocol = {"icmp": "ipv6-icmp", "icmpv6": "ipv6-icmp", "1": "58"}.get(protocol,
                                                                            protocol)
    if protocol in IP_PROTOCOL_MAP:
        return str([protocol, str(IP_PROTOCOL_MAP[protocol])])
    if protocol in NUM_TO_NAME:
        return str([NUM_TO_NAME[protocol], protocol])
    return str([protocol, protocol])


def rule_key(rule: dict[str, Any]) -> str:
    """Neutron's _rule_to_key: what makes two rules the same rule."""
    parts = []
    for key in DUPLICATE_KEYS:
        value = rule.get(key)
        if key == "remote_ip_prefix":
            parts.append("+" if value in ANY_PREFIX else str(value))
        elif value is None:
            parts.append("+")
        elif key == "protocol":
            parts.append(proto_key(value, rule.get("ethertype")))
        else:
            parts.append(str(value))
    return "_".join(parts)


# The stores' own ``list`` method shadows the builtin in annotations inside them.
Views = list[dict[str, Any]]
RuleRows = list[SecurityGroupRule]


class SecurityGroupRules(ResourceStore):
    resource_type = "security_group_rules"

    @property
    def groups(self) -> Any:
        return self.services.security_groups

    def policy_target(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        """The group's owner for ``rule:sg_owner``; a group the rule's project cannot use
        is a 404, as Neutron answers."""
        if values["project_id"] != ctx.project_id and not caller_is_admin(ctx):
            # neutron_lib's _validate_privileges: the rule policy names only the group's owner.
            raise BadRequest("Specifying 'project_id' other than the authenticated project in "
                             "request is not allowed for the current user.")
        with self.db.session() as s:
            group = self.groups.visible_row(s, values["security_group_id"],
                                            values["project_id"], caller_is_admin(ctx))
            return {"security_group:project_id": group.project_id,
                    "security_group:tenant_id": group.project_id}

    # -- reading ------------------------------------------------------------------------
    def list(self, ctx: RequestContext, query: ListQuery) -> Views:
        wanted = query.filters.get("project_id") or [ctx.project_id]
        self.groups.ensure_default(ctx, wanted[0])
        with self.db.session() as s:
            stmt = select(R)
            if not caller_is_admin(ctx):
                stmt = stmt.where(or_(R.project_id == ctx.project_id, exists().where(
                    SecurityGroup.id == R.security_group_id,
                    SecurityGroup.project_id == ctx.project_id)))
            stmt, rest = q.apply_filters(stmt, COLUMNS, query)
            for value in rest.get("belongs_to_default_sg", []):
                cond = exists().where(DefaultSecurityGroup.security_group_id ==
                                      R.security_group_id)
                stmt = stmt.where(cond if value else ~cond)
            stmt = q.apply_order_and_page(s, stmt, R, COLUMNS, query, "SecurityGroupRule")
            rows = q.finish_page(list(s.scalars(stmt)), query)
            return self.render_many(s, rows)

    def get(self, ctx: RequestContext, rule_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, rule_id)])[0]

    def row(self, s: Session, rule_id: str) -> SecurityGroupRule:
        row = s.get(R, rule_id)
        if row is None:
            raise security_group_rule_not_found(rule_id)
        return row

    def render_many(self, s: Session, rows: RuleRows) -> Views:
        group_ids = sorted({r.security_group_id for r in rows})
        owners: dict[str, str] = {}
        for chunk in range(0, len(group_ids), 500):
            owners.update(s.execute(select(SecurityGroup.id, SecurityGroup.project_id).where(
                SecurityGroup.id.in_(group_ids[chunk:chunk + 500]))).all())
        defaults = self.groups.default_ids(s, group_ids)
        out = []
        for row in rows:
            view = rule_view(row, row.security_group_id in defaults)
            # For policy only (the group's owner manages and reads its rules):
            owner = owners.get(row.security_group_id, "")
            view["security_group:project_id"] = view["security_group:tenant_id"] = owner
            out.append(view)
        return out

    # -- writing ------------------------------------------------------------------------
    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        return self.create_bulk(ctx, [values])[0]

    def create_bulk(self, ctx: RequestContext,
                    items: Views) -> Views:
        if len({v["security_group_id"] for v in items}) > 1:
            raise InvalidNeutron("SecurityGroupNotSingleGroupRules", "Only allowed to update "
                                 "rules for one security profile at a time")
        if len({v["project_id"] for v in items}) > 1:
            raise InvalidNeutron("SecurityGroupRulesNotSingleProject", "Multiple project_ids "
                                 "in bulk security group rule create not allowed")
        rules = [canonical(v) for v in items]
        admin = caller_is_admin(ctx)
        with self.db.session() as s, s.begin():
            group = self.groups.visible_row(s, rules[0]["security_group_id"],
                                            rules[0]["project_id"], admin)
            for rule in rules:
                self._check_remotes(s, rule, admin)
            self._check_duplicates(s, group.id, rules)
            quotas.check(s, rules[0]["project_id"], "security_group_rule", adding=len(rules))
            made = [self._insert(s, rule) for rule in rules]
            bump(group)
            ids = [m.id for m in made]
        self.changed(security_groups=[group.id])
        with self.db.session() as s:
            by_id = {r.id: r for r in s.scalars(select(R).where(R.id.in_(ids)))}
            return self.render_many(s, [by_id[i] for i in ids])

    def _check_remotes(self, s: Session, rule: dict[str, Any], admin: bool) -> None:
        if rule["remote_group_id"]:
            self.groups.visible_row(s, rule["remote_group_id"], rule["project_id"], admin)
        if rule["remote_address_group_id"]:
            self.services.address_groups.visible_row(s, rule["remote_address_group_id"],
                                                     rule["project_id"], admin)

    def _check_duplicates(self, s: Session, group_id: str,
                          rules: Views) -> None:
        new: set[str] = set()
        for rule in rules:
            key = rule_key(rule)
            if key in new:
                raise ConflictNeutron("DuplicateSecurityGroupRuleInPost",
                                      "Duplicate Security Group Rule in POST.")
            new.add(key)
        for row in s.scalars(select(R).where(R.security_group_id == group_id)):
            if rule_key(rule_view(row, False)) in new:
                raise ConflictNeutron("SecurityGroupRuleExists", "Security group rule "
                                      f"already exists. Rule id is {row.id}.")

    def _insert(self, s: Session, rule: dict[str, Any]) -> SecurityGroupRule:
        row = R(id=str(uuid.uuid4()), project_id=rule["project_id"],
                security_group_id=rule["security_group_id"], direction=rule["direction"],
                ethertype=rule["ethertype"], protocol=rule["protocol"],
                port_range_min=rule["port_range_min"], port_range_max=rule["port_range_max"],
                remote_ip_prefix=rule["remote_ip_prefix"],
                remote_group_id=rule["remote_group_id"],
                remote_address_group_id=rule["remote_address_group_id"],
                normalized_cidr=rule["normalized_cidr"],
                description=rule.get("description") or "")
        s.add(row)
        s.flush()
        return row

    def update(self, ctx: RequestContext, rule_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, rule_id)
            row.description = values.get("description", row.description)
            bump(row)
        return self.get(ctx, rule_id)

    def delete(self, ctx: RequestContext, rule_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, rule_id)
            group_id = row.security_group_id
            group = s.get(SecurityGroup, group_id)
            if group is not None:
                bump(group)
            s.delete(row)
        self.changed(security_groups=[group_id])


__all__ = ["SecurityGroupRules", "rule_view", "canonical", "rule_key"]
