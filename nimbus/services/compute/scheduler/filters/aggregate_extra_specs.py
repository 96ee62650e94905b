from __future__ import annotations

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec

# Extra specs with these scopes belong to other filters or to the driver.
_OTHER_SCOPES = ("hw", "hw_rng", "hw_video", "resources", "trait", "quota", "os", "pci_passthrough",
                 "accel", "vmware", "powervm", "capabilities")


class AggregateInstanceExtraSpecsFilter:
    """Flavor extra specs (unscoped or ``aggregate_instance_extra_specs:``) must match the
    metadata of an aggregate the host is in; a comma-separated metadata value lists
    several accepted values."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        for key, wanted in (spec.flavor.get("extra_specs") or {}).items():
            scope, _, name = key.partition(":")
            if name:
                if scope != "aggregate_instance_extra_specs":
                    continue
                key = name
            elif scope in _OTHER_SCOPES:
                continue
            have = host.aggregate_metadata.get(key)
            if not have:
                return False
            values = {v.strip() for item in have for v in item.split(",")}
            if str(wanted).strip() not in values:
                return False
        return True
