"""The network service facade: one store per resource family, and the notifier that tells
the agents (over the bus) that the desired state moved."""

from __future__ import annotations

import logging
from typing import Any

from nimbus.kernel.runtime import Runtime
from nimbus.services.network.service.agents import Agents, AvailabilityZones
from nimbus.services.network.service.networks import Networks
from nimbus.services.network.service.qos import QosPolicies, QosRules
from nimbus.services.network.service.quotas import Quotas
from nimbus.services.network.service.segments import SegmentAllocator
from nimbus.services.network.service.tags import Tags

log = logging.getLogger("nimbus.network")


class NetworkService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.options = runtime.settings.network
        self.segments = SegmentAllocator(self.options)
        # The bus the agents listen on; set when the process has one (see agents.py).
        self.bus: Any = None
        self.tags = Tags(self.db)
        self.networks = Networks(self.db, self.options, self.changed, self)
        self.tags.register("networks", self.networks.row)
        self.quotas = Quotas(self.db)
        self.qos_policies = QosPolicies(self.db, self.options, self.changed, self)
        self.qos_rules = QosRules(self.qos_policies)
        self.tags.register("policies", self.qos_policies.row)
        self.agents = Agents(self.db, self.options, self.changed, self)
        self.availability_zones = AvailabilityZones(self.agents)

    def changed(self, **what: list[str]) -> None:
        """Tell the agents that these resources moved (they fetch their state again)."""
        if self.bus is None:
            return
        from nimbus.services.network.agents import publish_changed

        try:
            publish_changed(self.bus, **what)
        except Exception:  # noqa: BLE001 - the change is written; agents resync anyway
            log.exception("could not tell the agents about %s", what)


def network_of(runtime: Runtime) -> NetworkService:
    service = runtime.services.get("network")
    if service is None:
        service = NetworkService(runtime)
        runtime.services["network"] = service
    return service
