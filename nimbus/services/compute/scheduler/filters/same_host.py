from __future__ import annotations

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec


def hinted(spec: RequestSpec, name: str) -> list[str]:
    value = spec.hints.get(name) or []
    return [value] if isinstance(value, str) else [str(v) for v in value]


class SameHostFilter:
    """The ``same_host`` hint: only hosts running every one of the named instances."""

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        wanted = hinted(spec, "same_host")
        return not wanted or all(spec.instance_hosts.get(u) == host.host for u in wanted)
