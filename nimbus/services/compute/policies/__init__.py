"""Nova's secure-RBAC defaults (nova/policies/*.py), one module a family; ``policy/compute.yaml``
in the data dir overrides them. Rule names are Nova's (``os_compute_api:servers:create``)."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies import (
    flavors,
    hosts,
    keypairs,
    legacy,
    proxies,
    quotas,
    server_groups,
)
from nimbus.services.compute.policies.base import BASE
from nimbus.services.compute.policies.servers import RULES as SERVERS

RULES: RuleDefaults = {**BASE, **flavors.RULES, **keypairs.RULES, **server_groups.RULES,
                       **hosts.RULES, **quotas.RULES, **proxies.RULES,
                       **legacy.RULES, **SERVERS}
