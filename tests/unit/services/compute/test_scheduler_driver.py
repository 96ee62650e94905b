"""The scheduler driver against the real Placement service (a fresh SQLite database):
candidates -> filters -> weighers -> a claim, the next host on a lost claim, and never two
boots on the last slot."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nimbus.config import Settings
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.scheduler.driver import NoValidHost, Scheduler, resources_of
from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec
from nimbus.services.compute.scheduler.placement_client import (
    ClaimConflict,
    PlacementClient,
    node_uuid,
)

FLAVOR = {"vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0, "swap": 0}


class FakeHosts:
    def __init__(self, **hosts: dict) -> None:
        self.hosts = hosts

    def known(self) -> list[str]:
        return sorted(self.hosts)

    def state(self, host: str) -> HostState:
        return HostState(host=host, node=host, **self.hosts[host])


@pytest.fixture
def placement_with(tmp_path: Path) -> Iterator[Callable[[dict[str, int]], PlacementClient]]:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)

    def make(memory: dict[str, int]) -> PlacementClient:
        client = PlacementClient(runtime)
        for host, mb in memory.items():
            client.sync_node(host, {"VCPU": {"total": 8}, "MEMORY_MB": {"total": mb},
                                    "DISK_GB": {"total": 100}}, [])
        return client

    yield make
    runtime.close()


def spec(uuid: str, **kw) -> RequestSpec:
    return RequestSpec(instance_uuid=uuid, project_id="p", user_id="u", flavor=FLAVOR, **kw)


def test_resources_of_a_flavor():
    assert resources_of({"vcpus": 2, "ram": 256, "disk": 1, "ephemeral": 2, "swap": 512}) == \
        {"VCPU": 2, "MEMORY_MB": 256, "DISK_GB": 4}


def test_the_host_with_most_free_ram_wins_and_is_claimed(placement_with):
    placement = placement_with({"a": 1024, "b": 4096})
    scheduler = Scheduler(FakeHosts(a={}, b={}), placement)
    chosen = scheduler.select_and_claim(spec("i1"))
    assert chosen.host == "b"
    held, generation = placement.allocations("i1")
    assert held == {node_uuid("b"): {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}}
    assert generation == 1


def test_filters_drop_hosts_and_nothing_left_is_no_valid_host(placement_with):
    placement = placement_with({"a": 4096, "b": 4096})
    scheduler = Scheduler(FakeHosts(a={"enabled": False}, b={"up": False}), placement)
    with pytest.raises(NoValidHost):
        scheduler.select_and_claim(spec("i1"))


def test_a_full_host_is_no_candidate(placement_with):
    placement = placement_with({"a": 512})
    scheduler = Scheduler(FakeHosts(a={}), placement)
    scheduler.select_and_claim(spec("i1"))
    with pytest.raises(NoValidHost):
        scheduler.select_and_claim(spec("i2"))


def test_a_lost_claim_moves_to_the_next_host(placement_with):
    placement = placement_with({"a": 1024, "b": 4096})
    real_claim = placement.claim
    lost: list[str] = []

    def claim(consumer, allocations, *args, **kw):
        if node_uuid("b") in allocations and not lost:
            lost.append("b")
            raise ClaimConflict("someone else took it")
        return real_claim(consumer, allocations, *args, **kw)

    placement.claim = claim  # type: ignore[method-assign]
    chosen = Scheduler(FakeHosts(a={}, b={}), placement).select_and_claim(spec("i1"))
    assert lost == ["b"] and chosen.host == "a"


def test_forced_host_skips_filters(placement_with):
    placement = placement_with({"a": 4096, "b": 4096})
    scheduler = Scheduler(FakeHosts(a={"enabled": False}, b={}), placement)
    assert scheduler.select_and_claim(spec("i1", force_host="a")).host == "a"


def test_two_boots_never_take_the_same_last_slot(placement_with):
    placement = placement_with({"a": 512})
    scheduler = Scheduler(FakeHosts(a={}), placement)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def boot(n: int) -> None:
        barrier.wait()
        try:
            results.append(scheduler.select_and_claim(spec(f"i{n}")).host)
        except NoValidHost:
            results.append("none")

    threads = [threading.Thread(target=boot, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(results) == ["a"] + ["none"] * 7
