"""Nova's secure-RBAC defaults (nova/policies/*.py), one module a family; ``policy/compute.yaml``
in the data dir overrides them. Rule names are Nova's (``os_compute_api:servers:create``)."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies.base import BASE
from nimbus.services.compute.policies.servers import RULES as SERVERS

RULES: RuleDefaults = {**BASE, **SERVERS}
