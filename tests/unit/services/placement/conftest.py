"""The placement service's unit tests: a runtime on a migrated SQLite data dir and small
factories for providers with inventory."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nimbus.config import Settings
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.placement.service import PlacementService, placement_of
from nimbus.services.placement.service.types import Provider


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)
    yield runtime
    runtime.close()


@pytest.fixture
def placement(runtime: Runtime) -> PlacementService:
    return placement_of(runtime)


@pytest.fixture
def make_host(placement: PlacementService) -> Callable[..., Provider]:
    """A compute-node-like provider: VCPU, MEMORY_MB and DISK_GB."""
    def make(name: str | None = None, *, vcpu: int = 8, ram: int = 4096, disk: int = 100,
             parent: str | None = None, traits: tuple[str, ...] = ()) -> Provider:
        rp = placement.create_provider(name or f"host-{uuid.uuid4().hex[:6]}",
                                       parent_uuid=parent)
        inventory = {rc: {"total": n} for rc, n in (("VCPU", vcpu), ("MEMORY_MB", ram),
                                                   ("DISK_GB", disk)) if n}
        if inventory:
            placement.set_inventories(rp.uuid, inventory)
        if traits:
            placement.set_traits(rp.uuid, traits)
        return placement.get_provider(rp.uuid)
    return make
