"""The in-process API the Compute service and its scheduler use."""

from __future__ import annotations

import uuid

import pytest

from nimbus.services.placement.errors import (
    AllocationConflict,
    ConcurrentUpdate,
    PlacementBadRequest,
    PlacementConflict,
    ProviderNotFound,
)
from nimbus.services.placement.service.types import CandidateRequest, RequestGroup


def consumer() -> str:
    return str(uuid.uuid4())


def test_ensure_provider_is_idempotent_and_nests(placement):
    root = placement.ensure_provider(str(uuid.uuid4()), "cn1")
    again = placement.ensure_provider(root.uuid, "cn1")
    assert again == root
    child = placement.ensure_provider(str(uuid.uuid4()), "cn1-numa0", parent_uuid=root.uuid)
    assert child.parent_provider_uuid == root.uuid
    assert child.root_provider_uuid == root.uuid
    with pytest.raises(PlacementConflict):
        placement.delete_provider(root.uuid)  # it has a child


def test_set_inventories_traits_and_aggregates_move_the_generation(placement):
    rp = placement.create_provider("cn2")
    rp = placement.set_inventories(rp.uuid, {"VCPU": {"total": 4, "allocation_ratio": 2.0}})
    assert rp.generation == 1
    rp = placement.set_traits(rp.uuid, ["HW_CPU_X86_AVX2", "CUSTOM_GOLD"], rp.generation)
    assert rp.generation == 2
    assert placement.catalog.trait_exists("CUSTOM_GOLD")
    agg = str(uuid.uuid4())
    rp = placement.set_aggregates(rp.uuid, [agg], rp.generation)
    assert placement.providers.aggregates(rp.uuid)[1] == [agg]
    with pytest.raises(ConcurrentUpdate):
        placement.set_traits(rp.uuid, [], generation=0)
    with pytest.raises(PlacementBadRequest):
        placement.set_traits(rp.uuid, ["NOT_A_TRAIT"])


def test_candidates_claim_and_usages(placement, make_host):
    small = make_host("small", vcpu=2, traits=("HW_CPU_X86_AVX2",))
    big = make_host("big", vcpu=16)
    found = placement.allocation_candidates(CandidateRequest.simple(
        {"VCPU": 4, "MEMORY_MB": 512}))
    assert [list(a.allocations) for a in found.allocation_requests] == [[big.uuid]]
    found = placement.allocation_candidates(CandidateRequest.simple(
        {"VCPU": 1}, required={"HW_CPU_X86_AVX2"}))
    assert [list(a.allocations) for a in found.allocation_requests] == [[small.uuid]]
    assert found.provider_summaries[small.uuid].resources["VCPU"] == {"capacity": 2,
                                                                      "used": 0}
    server = consumer()
    gen = placement.claim(server, found.allocation_requests[0].allocations, "p", "u")
    assert gen == 1
    assert placement.usages("p") == {"VCPU": 1}
    assert placement.provider_usages(small.uuid)["VCPU"] == 1
    held = placement.get_allocations(server)
    assert held.consumer_generation == 1 and held.project_id == "p"
    with pytest.raises(ConcurrentUpdate):  # a stale consumer generation
        placement.claim(server, {small.uuid: {"VCPU": 2}}, "p", "u", consumer_generation=0)
    with pytest.raises(AllocationConflict):  # 2 of 2 would be 3
        placement.claim(consumer(), {small.uuid: {"VCPU": 2}}, "p", "u")
    placement.delete_allocations(server)
    assert placement.usages("p") == {}


def test_forbidden_member_of_and_in_tree(placement, make_host):
    agg = str(uuid.uuid4())
    a = make_host("a", traits=("COMPUTE_STATUS_DISABLED",))
    b = make_host("b")
    c = make_host("c")
    placement.set_aggregates(b.uuid, [agg])
    req = CandidateRequest.simple({"VCPU": 1}, forbidden={"COMPUTE_STATUS_DISABLED"})
    assert {p for r in placement.allocation_candidates(req).allocation_requests
            for p in r.allocations} == {b.uuid, c.uuid}
    req = CandidateRequest.simple({"VCPU": 1}, member_of=[{agg}])
    assert [list(r.allocations) for r in
            placement.allocation_candidates(req).allocation_requests] == [[b.uuid]]
    req = CandidateRequest.simple({"VCPU": 1}, in_tree=c.uuid, limit=5)
    assert [list(r.allocations) for r in
            placement.allocation_candidates(req).allocation_requests] == [[c.uuid]]
    assert a.uuid not in placement.allocation_candidates(
        CandidateRequest.simple({"VCPU": 1}, forbidden={"COMPUTE_STATUS_DISABLED"})
    ).provider_summaries


def test_nested_granular_groups_and_sharing(placement, make_host):
    root = make_host("cn", vcpu=0, disk=0)
    numa0 = make_host("cn-numa0", vcpu=4, ram=0, disk=0, parent=root.uuid)
    numa1 = make_host("cn-numa1", vcpu=4, ram=0, disk=0, parent=root.uuid)
    share = make_host("nfs", vcpu=0, ram=0, disk=1000, traits=("MISC_SHARES_VIA_AGGREGATE",))
    agg = str(uuid.uuid4())
    placement.set_aggregates(root.uuid, [agg])
    placement.set_aggregates(share.uuid, [agg])
    req = CandidateRequest(groups={
        "": RequestGroup(resources={"MEMORY_MB": 256, "DISK_GB": 10}),
        "1": RequestGroup(resources={"VCPU": 3}, use_same_provider=True),
        "2": RequestGroup(resources={"VCPU": 3}, use_same_provider=True),
    }, group_policy="isolate")
    found = placement.allocation_candidates(req).allocation_requests
    assert len(found) == 2  # numa0/numa1 either way round
    for a in found:
        assert a.allocations[share.uuid] == {"DISK_GB": 10}
        assert a.allocations[root.uuid] == {"MEMORY_MB": 256}
        assert {a.mappings["1"][0], a.mappings["2"][0]} == {numa0.uuid, numa1.uuid}
    req.group_policy = "none"  # now both groups may share a NUMA node: 6 of 4 won't fit
    assert len(placement.allocation_candidates(req).allocation_requests) == 2


def test_replace_and_move_allocations(placement, make_host):
    src, dst = make_host("src"), make_host("dst")
    server, migration = consumer(), consumer()
    gen = placement.claim(server, {src.uuid: {"VCPU": 2}}, "p", "u")
    gen = placement.replace_allocations(server, {src.uuid: {"VCPU": 4}}, "p", "u", gen)
    assert placement.get_allocations(server).allocations[src.uuid]["resources"] == {
        "VCPU": 4}
    placement.move_allocations(server, migration, "p", "u")
    assert placement.get_allocations(server).allocations == {}
    assert list(placement.get_allocations(migration).allocations) == [src.uuid]
    placement.claim(server, {dst.uuid: {"VCPU": 4}}, "p", "u")
    assert placement.provider_usages(dst.uuid) == {"VCPU": 4, "MEMORY_MB": 0, "DISK_GB": 0}


def test_inventory_in_use_cannot_go_and_unknown_provider(placement, make_host):
    rp = make_host("busy")
    placement.claim(consumer(), {rp.uuid: {"DISK_GB": 10}}, "p", "u")
    with pytest.raises(PlacementConflict) as err:
        placement.set_inventories(rp.uuid, {"VCPU": {"total": 8}})
    assert err.value.code == "placement.inventory.inuse"
    with pytest.raises(ProviderNotFound):
        placement.get_provider(str(uuid.uuid4()))
