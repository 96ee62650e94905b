"""The network service facade: one store per resource family, and the notifier that tells
the agents (over the bus) that the desired state moved."""

from __future__ import annotations

import logging
from typing import Any

from nimbus.kernel.runtime import Runtime
from nimbus.services.network.service import l3_hooks
from nimbus.services.network.service.address_groups import AddressGroups
from nimbus.services.network.service.address_scopes import AddressScopes
from nimbus.services.network.service.agents import Agents, AvailabilityZones
from nimbus.services.network.service.floatingips import FloatingIps
from nimbus.services.network.service.hoststate import HostStates
from nimbus.services.network.service.ip_availability import IpAvailability
from nimbus.services.network.service.networks import Networks
from nimbus.services.network.service.port_forwardings import PortForwardings
from nimbus.services.network.service.ports import Ports
from nimbus.services.network.service.qos import QosPolicies, QosRules
from nimbus.services.network.service.quotas import Quotas
from nimbus.services.network.service.rbac import RbacPolicies
from nimbus.services.network.service.routers import Routers
from nimbus.services.network.service.security_groups import SecurityGroups
from nimbus.services.network.service.segments import SegmentAllocator
from nimbus.services.network.service.sg_rules import SecurityGroupRules
from nimbus.services.network.service.subnetpools import SubnetPools
from nimbus.services.network.service.subnets import Subnets
from nimbus.services.network.service.tags import Tags
from nimbus.services.network.service.trunks import Trunks

log = logging.getLogger("nimbus.network")


class NetworkService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.options = runtime.settings.network
        self.segments = SegmentAllocator(self.options)
        # The bus the agents listen on; set when the process has one (see agents.py).
        self.bus: Any = None
        self.plugin_consumer: Any = None
        self.tags = Tags(self.db)
        self.networks = Networks(self.db, self.options, self.changed, self)
        self.ports = Ports(self.db, self.options, self.changed, self)
        self.security_groups = SecurityGroups(self.db, self.options, self.changed, self)
        self.security_group_rules = SecurityGroupRules(self.db, self.options, self.changed,
                                                       self)
        self.address_groups = AddressGroups(self.db, self.options, self.changed, self)
        self.tags.register("networks", self.networks.row)
        self.quotas = Quotas(self.db)
        self.qos_policies = QosPolicies(self.db, self.options, self.changed, self)
        self.qos_rules = QosRules(self.qos_policies)
        self.tags.register("policies", self.qos_policies.row)
        self.agents = Agents(self.db, self.options, self.changed, self)
        self.availability_zones = AvailabilityZones(self.agents)
        self.subnets = Subnets(self.db, self.options, self.changed, self)
        self.networks.before_delete.append(self.subnets.drop_network_subnets)
        self.tags.register("subnets", self.subnets.row)
        self.subnetpools = SubnetPools(self.db, self.options, self.changed, self)
        self.tags.register("subnetpools", self.subnetpools.row)
        self.address_scopes = AddressScopes(self.db, self.options, self.changed, self)
        self.rbac_policies = RbacPolicies(self.db, self.options, self.changed, self)
        self.ip_availability = IpAvailability(self.db, self.options, self.changed, self)
        self.trunks = Trunks(self.db, self.options, self.changed, self)
        self.tags.register("ports", self.ports.row)
        self.tags.register("security_groups", self.security_groups.row)
        self.tags.register("trunks", self.trunks.row)
        self.host_states = HostStates(self)
        self._init_l3()

    def host_state(self, host: str) -> Any:
        """What the network agent on ``host`` must make there (messages.HostState)."""
        return self.host_states.host_state(host)

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
