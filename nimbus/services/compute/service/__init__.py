"""The compute service facade: one store per resource family, reached by the API handlers and
by other services (through these public methods only).

For the servers engineer and the scheduler: ``flavors.get(flavor_id, ctx=None)``,
``keypairs.get(user_id, name)``, ``server_groups.get / group_of / add_member /
remove_member``, ``quotas.check(project_id, user_id, deltas)``, ``usage.register(...)``
(service/usage.py), ``hosts.report_service / report_node / service_is_up``,
``aggregates.zone_of(host)``."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.service.aggregates import Aggregates
from nimbus.services.compute.service.flavors import Flavors
from nimbus.services.compute.service.hosts import Hosts
from nimbus.services.compute.service.keypairs import Keypairs
from nimbus.services.compute.service.quotas import Quotas
from nimbus.services.compute.service.server_groups import ServerGroups
from nimbus.services.compute.service.usage import Usage


class ComputeService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.options = runtime.settings.compute
        self.usage = Usage()
        self.quotas = Quotas(self.db, self.usage)
        self.flavors = Flavors(self.db)
        self.keypairs = Keypairs(
            self.db, lambda project, user: self.quotas.limit_of(project, user, "key_pairs"))
        self.server_groups = ServerGroups(self.db, self.quotas.limit_of)
        self.hosts = Hosts(self.db, self.options.service_down_time)
        self.aggregates = Aggregates(self.db, self.hosts,
                                     self.options.default_availability_zone)
        self.quotas.counters["key_pairs"] = lambda _project, user: \
            self.keypairs.count(user) if user else 0
        self.quotas.counters["server_groups"] = lambda project, _user: \
            self.server_groups.count(project)
        # The bus the agents listen on, and the calls to them (agents.py serve_plugin).
        self.bus: Any = None
        self.agent_api: Any = None
        self.plugin_consumer: Any = None
        self._init_servers()

    def _init_servers(self) -> None:
        from nimbus.services.compute.scheduler.driver import Scheduler
        from nimbus.services.compute.scheduler.placement_client import PlacementClient
        from nimbus.services.compute.service.actions import ServerActions
        from nimbus.services.compute.service.build import Builder
        from nimbus.services.compute.service.events import ServerEvents
        from nimbus.services.compute.service.extras import ServerExtras
        from nimbus.services.compute.service.host_reports import HostReports
        from nimbus.services.compute.service.instance_actions import InstanceActions
        from nimbus.services.compute.service.instance_data import InstanceDataSource
        from nimbus.services.compute.service.lifecycle import Lifecycle
        from nimbus.services.compute.service.networking import Networking
        from nimbus.services.compute.service.resize import Resizes
        from nimbus.services.compute.service.resources import Resources
        from nimbus.services.compute.service.servers import Servers
        from nimbus.services.compute.service.snapshots import Snapshots

        self.placement = PlacementClient(self.runtime)
        self.host_reports = HostReports(self, self.placement)
        self.scheduler = Scheduler(self.host_reports, self.placement)
        self.networking = Networking(self.runtime)
        self.resources = Resources(self)
        self.servers = Servers(self)
        self.builder = Builder(self)
        self.actions = ServerActions(self)
        self.resizes = Resizes(self)
        self.instance_actions = InstanceActions(self)
        self.snapshots = Snapshots(self)
        self.lifecycle = Lifecycle(self)
        self.extras = ServerExtras(self)
        self.instance_data = InstanceDataSource(self)
        self.servers_events = ServerEvents(self)
        self._connect_neighbours()

    def _connect_neighbours(self) -> None:
        """Networking's port status hook, the metadata service's instance source and
        compute-resources' usage registry, each told about the servers."""
        from nimbus.services.network.service.agents import PORT_STATUS_HOOKS

        PORT_STATUS_HOOKS.append(self.servers_events.port_status)
        self.instance_data.register()
        # The usage registry: quotas, tenant usage, os-migrations, hypervisors' servers.
        from nimbus.services.compute.service.usage_sources import ServerUsage

        sources = ServerUsage(self.db)
        self.usage.register(sources, tenant_usage=sources, migrations=sources,
                            host_servers=sources)


def compute_of(runtime: Runtime) -> ComputeService:
    service = runtime.services.get("compute")
    if service is None:
        service = ComputeService(runtime)
        runtime.services["compute"] = service
    return service
