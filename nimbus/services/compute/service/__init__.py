"""The compute service facade: one store per resource family, reached by the API handlers and
by other services (through these public methods only)."""

from __future__ import annotations

from nimbus.kernel.runtime import Runtime


class ComputeService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.options = runtime.settings.compute


def compute_of(runtime: Runtime) -> ComputeService:
    service = runtime.services.get("compute")
    if service is None:
        service = ComputeService(runtime)
        runtime.services["compute"] = service
    return service
