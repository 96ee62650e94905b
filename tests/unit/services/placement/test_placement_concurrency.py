"""Two claims on the last slot, in concurrent transactions: exactly one wins, on every
engine (SQLite queues writers on its lock; PostgreSQL and MariaDB re-read the provider row
after the other commit, and the generation compare-and-swap refuses the loser)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.config import Settings
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.placement.errors import AllocationConflict, ConcurrentUpdate
from nimbus.services.placement.service import PlacementService, allocations, placement_of
from tests.unit.kernel.test_db import mariadb_database, postgres_database

ROUNDS = 8


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.db),
                        pytest.param("mariadb", marks=pytest.mark.db)])
def engine_placement(request: pytest.FixtureRequest, tmp_path: Path
                     ) -> Iterator[PlacementService]:
    def run(url: str) -> Iterator[PlacementService]:
        runtime = Runtime(Settings(data_dir=tmp_path / "data", database_url=url))
        upgrade(runtime.db.engine)
        try:
            yield placement_of(runtime)
        finally:
            runtime.close()

    if request.param == "sqlite":
        yield from run(f"sqlite:///{tmp_path / 'nimbus.db'}")
        return
    with (postgres_database() if request.param == "postgresql"
          else mariadb_database()) as url:
        yield from run(url)


def race(placement: PlacementService, provider: str) -> list[object]:
    """Two claims of the provider's one VCPU, started together."""
    start = threading.Barrier(2, timeout=10)
    results: list[object] = []

    def claim() -> None:
        start.wait()
        try:
            results.append(placement.claim(str(uuid.uuid4()), {provider: {"VCPU": 1}},
                                           "p", "u"))
        except (AllocationConflict, ConcurrentUpdate) as err:
            results.append(err)

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_claims_on_the_last_slot_never_both_succeed(engine_placement, monkeypatch):
    placement = engine_placement
    check = allocations._check_capacity

    def slow_check(*args, **kwargs):  # widen the window between the check and the write
        check(*args, **kwargs)
        time.sleep(0.05)

    monkeypatch.setattr(allocations, "_check_capacity", slow_check)
    for n in range(ROUNDS):
        rp = placement.create_provider(f"last-slot-{n}")
        placement.set_inventories(rp.uuid, {"VCPU": {"total": 1}})
        results = race(placement, rp.uuid)
        assert len(results) == 2
        winners = [r for r in results if isinstance(r, int)]
        losers = [r for r in results if isinstance(r, AllocationConflict)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert placement.provider_usages(rp.uuid) == {"VCPU": 1}
