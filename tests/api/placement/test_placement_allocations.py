"""Allocations, candidates, usages and the reshaper through openstacksdk, the openstack
CLI (osc-placement) and keystoneauth1."""

from __future__ import annotations

import uuid

import pytest
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique
from tests.api.placement.conftest import call, error_of

PV = "--os-placement-api-version"


def put_alloc(ksa, consumer, allocations, version="1.38", generation=None, **extra):
    body = {"allocations": {rp: {"resources": res} for rp, res in allocations.items()},
            "project_id": extra.pop("project_id", "proj"), "user_id": "user",
            "consumer_generation": generation, "consumer_type": "INSTANCE", **extra}
    if version < "1.38":
        body.pop("consumer_type")
    return call(ksa, "PUT", f"/allocations/{consumer}", version, json=body)


def test_sdk_allocations_and_consumer_generations(admin, ksa, make_rp):
    rp = make_rp(inventory={"VCPU": 4, "MEMORY_MB": 1024})
    consumer = str(uuid.uuid4())
    admin.placement.update_allocation(
        consumer, allocations={rp["uuid"]: {"resources": {"VCPU": 2}}}, project_id="proj",
        user_id="user", consumer_generation=None, consumer_type="INSTANCE")
    held = admin.placement.get_allocation(consumer)
    assert held.allocations[rp["uuid"]]["resources"] == {"VCPU": 2}
    assert held.consumer_generation == 1 and held.consumer_type == "INSTANCE"
    stale = put_alloc(ksa, consumer, {rp["uuid"]: {"VCPU": 1}}, generation=0)
    assert stale.status_code == 409
    err = error_of(stale)
    assert err["code"] == "placement.concurrent_update"
    assert "consumer generation conflict - expected 1 but got 0" in err["detail"]
    new_twice = put_alloc(ksa, str(uuid.uuid4()), {rp["uuid"]: {"VCPU": 1}}, generation=3)
    assert "expected null but got 3" in error_of(new_twice)["detail"]
    full = put_alloc(ksa, str(uuid.uuid4()), {rp["uuid"]: {"VCPU": 3}})
    assert full.status_code == 409
    assert "The requested amount would exceed the capacity" in error_of(full)["detail"]
    assert admin.placement.fetch_resource_provider_usages(rp["uuid"]).usages == {
        "VCPU": 2, "MEMORY_MB": 0}
    admin.placement.delete_allocation(consumer)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.placement.delete_allocation(consumer, ignore_missing=False)


@pytest.mark.parametrize("consumer, allocations, words", [
    ("not-a-uuid", None, "Malformed consumer_uuid"),
    (None, {"NOT_A_CLASS": 1}, "No such resource class NOT_A_CLASS"),
    (None, {"VCPU": 0}, "less than the minimum of 1"),
    (None, {"VCPU": "1"}, "is not of type 'integer'"),
])
def test_bad_allocations_are_400_and_write_nothing(ksa, make_rp, consumer, allocations,
                                                   words):
    rp = make_rp(inventory={"VCPU": 4})
    consumer = consumer or str(uuid.uuid4())
    answer = put_alloc(ksa, consumer, {rp["uuid"]: allocations or {"VCPU": 1}})
    assert answer.status_code == 400, answer.text
    assert words in error_of(answer)["detail"]
    assert call(ksa, "GET", f"/resource_providers/{rp['uuid']}/usages").json()[
        "usages"] == {"VCPU": 0}
    nowhere = put_alloc(ksa, str(uuid.uuid4()), {str(uuid.uuid4()): {"VCPU": 1}})
    assert nowhere.status_code == 400 and "that does not exist" in error_of(nowhere)["detail"]


def test_post_allocations_moves_a_consumer_atomically(admin, ksa, make_rp):
    src, dst = make_rp(inventory={"VCPU": 4}), make_rp(inventory={"VCPU": 4})
    server, migration = str(uuid.uuid4()), str(uuid.uuid4())
    assert put_alloc(ksa, server, {src["uuid"]: {"VCPU": 4}}).status_code == 204
    admin.placement.create_allocations({
        migration: {"allocations": {src["uuid"]: {"resources": {"VCPU": 4}}},
                    "project_id": "proj", "user_id": "user", "consumer_generation": None,
                    "consumer_type": "MIGRATION"},
        server: {"allocations": {dst["uuid"]: {"resources": {"VCPU": 4}}},
                 "project_id": "proj", "user_id": "user", "consumer_generation": 1,
                 "consumer_type": "INSTANCE"}})
    assert list(admin.placement.get_allocation(server).allocations) == [dst["uuid"]]
    assert list(admin.placement.get_allocation(migration).allocations) == [src["uuid"]]
    by_type = call(ksa, "GET", "/usages?project_id=proj", "1.38").json()["usages"]
    assert by_type["MIGRATION"]["consumer_count"] >= 1
    assert call(ksa, "GET", "/usages?project_id=proj&consumer_type=all",
                "1.38").json()["usages"]["all"]["VCPU"] >= 8


def test_cli_allocations_candidates_and_usages(cli, make_rp):
    rp = make_rp(inventory={"VCPU": 8, "MEMORY_MB": 4096})
    project = str(uuid.uuid4())
    consumer = str(uuid.uuid4())
    cands = cli(PV, "1.17", "allocation", "candidate", "list", "--resource", "VCPU=2",
                "--resource", "MEMORY_MB=512", "-f", "json")
    assert rp["uuid"] in {c["resource provider"] for c in cands}
    cli(PV, "1.12", "resource", "provider", "allocation", "set", consumer, "--allocation",
        f"rp={rp['uuid']},VCPU=2,MEMORY_MB=512", "--project-id", project, "--user-id", "u")
    shown = cli(PV, "1.12", "resource", "provider", "allocation", "show", consumer, "-f",
                "json")
    assert shown[0]["resources"] == {"VCPU": 2, "MEMORY_MB": 512}
    usage = {r["resource_class"]: r["usage"] for r in cli(
        PV, "1.9", "resource", "usage", "show", project, "-f", "json")}
    assert usage == {"VCPU": 2, "MEMORY_MB": 512}
    cli(PV, "1.12", "resource", "provider", "allocation", "delete", consumer)
    assert cli(PV, "1.9", "resource", "usage", "show", project, "-f", "json") == []


def test_candidates_traits_aggregates_and_groups(admin, ksa, make_rp):
    agg = str(uuid.uuid4())
    tag = f"CUSTOM_{uuid.uuid4().hex[:8].upper()}"
    call(ksa, "PUT", f"/traits/{tag}", "1.6")
    root = make_rp(unique("cn"), inventory={"MEMORY_MB": 2048})
    numa = [make_rp(unique("numa"), parent=root["uuid"], inventory={"VCPU": 4})
            for _ in range(2)]
    call(ksa, "PUT", f"/resource_providers/{numa[0]['uuid']}/traits", "1.6",
         json={"traits": [tag], "resource_provider_generation": numa[0]["generation"]})
    call(ksa, "PUT", f"/resource_providers/{root['uuid']}/aggregates", "1.19",
         json={"aggregates": [agg], "resource_provider_generation": root["generation"]})
    q = f"resources=MEMORY_MB:512&resources1=VCPU:3&required1={tag}&member_of={agg}"
    one = call(ksa, "GET", f"/allocation_candidates?{q}", "1.34").json()
    assert [a["mappings"] for a in one["allocation_requests"]] == [
        {"": [root["uuid"]], "1": [numa[0]["uuid"]]}]
    summary = one["provider_summaries"][numa[1]["uuid"]]  # the whole tree is summarized
    assert summary["root_provider_uuid"] == root["uuid"]
    forbidden = call(ksa, "GET", f"/allocation_candidates?resources1=VCPU:1&required1=!{tag}"
                     f"&resources2=VCPU:1&group_policy=isolate", "1.34").json()
    picked = {tuple(a["mappings"].values())[0][0] for a in forbidden["allocation_requests"]}
    assert numa[0]["uuid"] not in picked
    two_groups = call(ksa, "GET", "/allocation_candidates?resources1=VCPU:1&resources2=VCPU:1",
                      "1.25")
    assert "group_policy" in error_of(two_groups)["detail"]
    sdk = list(admin.placement.allocation_candidates(resources="VCPU:4", member_of=agg))
    assert {p for c in sdk for p in c.allocations} >= {n["uuid"] for n in numa}
    anyof = call(ksa, "GET", f"/allocation_candidates?resources=VCPU:1&required=in:{tag},"
                 "HW_CPU_X86_AVX512F&limit=1", "1.39").json()
    assert len(anyof["allocation_requests"]) == 1
    old = call(ksa, "GET", f"/allocation_candidates?resources=VCPU:1&required=in:{tag}",
               "1.38")
    assert "only supported since microversion 1.39" in error_of(old)["detail"]
    rooted = call(ksa, "GET", f"/allocation_candidates?resources=VCPU:1&root_required=!{tag}",
                  "1.35").json()
    assert rooted["allocation_requests"]  # the trait is on a child, not the root
    subtree = call(ksa, "GET", f"/allocation_candidates?resources_A=VCPU:1&required_B={tag}"
                   "&same_subtree=_A,_B&group_policy=none", "1.36").json()
    assert {a["mappings"]["_A"][0] for a in subtree["allocation_requests"]} == {
        numa[0]["uuid"]}


def test_reshaper_moves_inventory_and_allocations_to_a_child(ksa, service_session, make_rp):
    root = make_rp(inventory={"VGPU": 4})
    child = make_rp(parent=root["uuid"])
    consumer = str(uuid.uuid4())
    assert put_alloc(ksa, consumer, {root["uuid"]: {"VGPU": 2}}).status_code == 204
    gen = call(ksa, "GET", f"/resource_providers/{root['uuid']}").json()["generation"]
    body = {"inventories": {
        root["uuid"]: {"resource_provider_generation": gen, "inventories": {}},
        child["uuid"]: {"resource_provider_generation": child["generation"],
                        "inventories": {"VGPU": {"total": 4}}}},
        "allocations": {consumer: {
            "allocations": {child["uuid"]: {"resources": {"VGPU": 2}}},
            "project_id": "proj", "user_id": "user", "consumer_generation": 1,
            "consumer_type": "INSTANCE"}}}
    stale = {**body, "inventories": {**body["inventories"], root["uuid"]: {
        "resource_provider_generation": gen + 5, "inventories": {}}}}
    # The reshaper is the service role's alone (placement:reshaper:reshape).
    assert call(ksa, "POST", "/reshaper", "1.38", json=body).status_code == 403
    assert call(service_session, "POST", "/reshaper", "1.38", json=stale).status_code == 409
    assert call(service_session, "POST", "/reshaper", "1.29", json=body).status_code == 404
    assert call(service_session, "POST", "/reshaper", "1.38", json=body).status_code == 204
    held = call(ksa, "GET", f"/allocations/{consumer}", "1.38").json()
    assert list(held["allocations"]) == [child["uuid"]]
    assert call(ksa, "GET", f"/resource_providers/{root['uuid']}/inventories").json()[
        "inventories"] == {}


def test_two_concurrent_claims_on_the_last_slot(ksa, make_rp):
    """Through the API, at once: one claim wins, the other is Placement's 409."""
    import threading

    rp = make_rp(inventory={"VCPU": 1})
    start = threading.Barrier(4, timeout=30)
    answers: list[int] = []

    def claim() -> None:
        start.wait()
        answers.append(put_alloc(ksa, str(uuid.uuid4()), {rp["uuid"]: {"VCPU": 1}}
                                 ).status_code)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(answers) == [204, 409, 409, 409]
    assert call(ksa, "GET", f"/resource_providers/{rp['uuid']}/usages").json()[
        "usages"] == {"VCPU": 1}
