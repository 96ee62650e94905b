"""The security group part of an agent's ``HostState``: the groups of a host's ports, the
groups their rules name as remote (with the addresses of every member port, wherever it
lives), and the address groups their rules name - in a fixed number of queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.agents.network import messages
from nimbus.services.network.models.address_groups import AddressAssociation
from nimbus.services.network.models.core import IPAllocation
from nimbus.services.network.models.security_groups import (
    PortSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
)


def _rules_of(s: Session, group_ids: set[str]) -> dict[str, list[SecurityGroupRule]]:
    found: dict[str, list[SecurityGroupRule]] = {g: [] for g in group_ids}
    ids = sorted(group_ids)
    for chunk in range(0, len(ids), 500):
        for rule in s.scalars(select(SecurityGroupRule).where(
                SecurityGroupRule.security_group_id.in_(ids[chunk:chunk + 500]))
                .order_by(SecurityGroupRule.created_at, SecurityGroupRule.id)):
            found[rule.security_group_id].append(rule)
    return found


def _member_ips(s: Session, group_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for chunk in range(0, len(group_ids), 500):
        for group_id, address in s.execute(
                select(PortSecurityGroup.security_group_id, IPAllocation.ip_address)
                .join(IPAllocation, IPAllocation.port_id == PortSecurityGroup.port_id)
                .where(PortSecurityGroup.security_group_id.in_(group_ids[chunk:chunk + 500]))):
            found.setdefault(group_id, set()).add(address)
    return {g: sorted(v) for g, v in found.items()}


def _rule_message(rule: SecurityGroupRule) -> messages.SecurityGroupRule:
    return messages.SecurityGroupRule(
        id=rule.id, direction=rule.direction, ethertype=rule.ethertype,
        protocol=rule.protocol, port_range_min=rule.port_range_min,
        port_range_max=rule.port_range_max,
        remote_ip_prefix=rule.normalized_cidr or rule.remote_ip_prefix,
        remote_group_id=rule.remote_group_id,
        remote_address_group_id=rule.remote_address_group_id)


def security_group_state(s: Session, group_ids: list[str]
                         ) -> tuple[list[messages.SecurityGroup], list[messages.AddressGroup]]:
    """The groups ``group_ids`` (a host's ports' groups) and the remote groups their rules
    name, each with its rules and member addresses; and the address groups named."""
    wanted = set(group_ids)
    rules = _rules_of(s, wanted)
    remote = {r.remote_group_id for rs in rules.values() for r in rs if r.remote_group_id}
    if remote - wanted:
        rules.update(_rules_of(s, remote - wanted))
        wanted |= remote
    ids = sorted(wanted)
    stateful = dict(s.execute(select(SecurityGroup.id, SecurityGroup.stateful)
                              .where(SecurityGroup.id.in_(ids))).all())
    members = _member_ips(s, ids)
    groups = [messages.SecurityGroup(id=g, stateful=stateful[g],
                                     rules=[_rule_message(r) for r in rules.get(g, [])],
                                     member_ips=members.get(g, []))
              for g in ids if g in stateful]
    named = sorted({r.remote_address_group_id for g in ids for r in rules.get(g, [])
                    if r.remote_address_group_id})
    addresses: dict[str, list[str]] = {a: [] for a in named}
    if named:
        for group_id, address in s.execute(
                select(AddressAssociation.address_group_id, AddressAssociation.address)
                .where(AddressAssociation.address_group_id.in_(named))
                .order_by(AddressAssociation.address)):
            addresses[group_id].append(address)
    return groups, [messages.AddressGroup(id=a, addresses=v) for a, v in addresses.items()]
