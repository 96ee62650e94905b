"""The network service facade: one store per resource family, and the notifier that tells
the agents (over the bus) that the desired state moved."""

from __future__ import annotations

import logging
from typing import Any

from nimbus.kernel.runtime import Runtime
from nimbus.services.network.service import l3_hooks
from nimbus.services.network.service.floatingips import FloatingIps
from nimbus.services.network.service.networks import Networks
from nimbus.services.network.service.port_forwardings import PortForwardings
from nimbus.services.network.service.ports import Ports
from nimbus.services.network.service.routers import Routers
from nimbus.services.network.service.security_groups import SecurityGroups
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
        self.ports = Ports(self.db, self.options, self.changed, self)
        self.security_groups = SecurityGroups(self.db, self.options, self.changed, self)
        self.tags.register("networks", self.networks.row)
        self.tags.register("ports", self.ports.row)
        self._init_l3()

    def _init_l3(self) -> None:
        """Routers, floating IPs and port forwardings, and their hooks on the others'
        deletes (called last: the hooks need every other store)."""
        self.routers = Routers(self.db, self.options, self.changed, self)
        self.floatingips = FloatingIps(self.db, self.options, self.changed, self)
        self.port_forwardings = PortForwardings(self.db, self.options, self.changed, self)
        self.tags.register("routers", self.routers.row)
        self.tags.register("floatingips", self.floatingips.row)
        l3_hooks.register(self)

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
