"""Networking default policy: Neutron's secure-RBAC rules, one module per family, merged
here. Targets are flat: ``project_id`` is the resource's owner, and the resource's own
attributes (``shared``, ``router:external``) are read as ``%(shared)s``.
Overridden by ``policy/network.yaml`` in the data dir."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.network.policies import (
    agents,
    base,
    floatingips,
    qos,
    quotas,
    routers,
    security_groups,
    subnets,
    trunks,
)

RULES: RuleDefaults = {}
for module in (base, subnets, security_groups, quotas, qos, agents, trunks, routers,
               floatingips):
    RULES.update(module.RULES)
