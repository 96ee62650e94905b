"""The compute service facade: one store per resource family, reached by the API handlers and
by other services (through these public methods only).

For the servers engineer and the scheduler: ``flavors.get(flavor_id, ctx=None)``,
``keypairs.get(user_id, name)``, ``server_groups.get / group_of / add_member /
remove_member``, ``quotas.check(project_id, user_id, deltas)``, ``usage.register(...)``
(service/usage.py), ``hosts.report_service / report_node / service_is_up``,
``aggregates.zone_of(host)``."""

from __future__ import annotations

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


def compute_of(runtime: Runtime) -> ComputeService:
    service = runtime.services.get("compute")
    if service is None:
        service = ComputeService(runtime)
        runtime.services["compute"] = service
    return service
