"""Host filters: one class a file, each with ``host_passes(host, spec) -> bool``."""

from __future__ import annotations

from typing import Protocol

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec


class HostFilter(Protocol):
    def host_passes(self, host: HostState, spec: RequestSpec) -> bool: ...


def default_filters() -> list[HostFilter]:
    from nimbus.services.compute.scheduler.filters.aggregate_extra_specs import (
        AggregateInstanceExtraSpecsFilter,
    )
    from nimbus.services.compute.scheduler.filters.availability_zone import (
        AvailabilityZoneFilter,
    )
    from nimbus.services.compute.scheduler.filters.compute import ComputeFilter
    from nimbus.services.compute.scheduler.filters.different_host import DifferentHostFilter
    from nimbus.services.compute.scheduler.filters.image_properties import (
        ImagePropertiesFilter,
    )
    from nimbus.services.compute.scheduler.filters.same_host import SameHostFilter
    from nimbus.services.compute.scheduler.filters.server_group import (
        ServerGroupAffinityFilter,
        ServerGroupAntiAffinityFilter,
    )

    return [AvailabilityZoneFilter(), ComputeFilter(), ImagePropertiesFilter(),
            ServerGroupAntiAffinityFilter(), ServerGroupAffinityFilter(), SameHostFilter(),
            DifferentHostFilter(), AggregateInstanceExtraSpecsFilter()]
