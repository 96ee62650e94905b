"""Where the metadata API finds instances: a hook the owner of the instances registers on
the runtime (one per runtime, so that two clouds in one process keep theirs apart)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.metadata.model import InstanceData

# instance uuid -> its data, or None for an instance that does not exist (or is deleted).
InstanceLookup = Callable[[str], InstanceData | None]
# (instance uuid, password the guest posted): keep it; the next lookups return it in
# InstanceData.password (Nova keeps it in the instance's system metadata).
PasswordSaver = Callable[[str, str], None]

_KEY = "compute.metadata.source"


@dataclass(frozen=True)
class InstanceSource:
    lookup: InstanceLookup
    save_password: PasswordSaver | None = None


def register_instance_source(runtime: Runtime, lookup: InstanceLookup,
                             save_password: PasswordSaver | None = None) -> None:
    """Serve ``runtime``'s metadata API from ``lookup`` (replacing any earlier source);
    ``save_password`` takes what guests POST to /openstack/<version>/password."""
    runtime.services[_KEY] = InstanceSource(lookup, save_password)


def instance_source(runtime: Runtime) -> InstanceSource | None:
    source = runtime.services.get(_KEY)
    return source if isinstance(source, InstanceSource) else None
