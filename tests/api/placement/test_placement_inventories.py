"""Inventories, resource classes, traits and aggregates through openstacksdk, the openstack
CLI (osc-placement) and keystoneauth1."""

from __future__ import annotations

import uuid

import pytest
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique
from tests.api.placement.conftest import call, error_of

PV = "--os-placement-api-version"


def test_sdk_inventories_and_their_checks(admin, ksa, make_rp):
    rp = make_rp()
    placed = admin.placement.set_resource_provider_inventories(
        rp["uuid"], {"VCPU": {"total": 8, "allocation_ratio": 4.0}, "MEMORY_MB": {
            "total": 2048, "reserved": 512}}, rp["generation"])
    invs = {i.resource_class: i for i in admin.placement.resource_provider_inventories(
        rp["uuid"])}
    assert invs["VCPU"].allocation_ratio == 4.0 and invs["MEMORY_MB"].reserved == 512
    assert invs["VCPU"].max_unit == 2147483647 and invs["VCPU"].step_size == 1
    stale = call(ksa, "PUT", f"/resource_providers/{rp['uuid']}/inventories", "1.23",
                 json={"resource_provider_generation": 0, "inventories": {}})
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "placement.concurrent_update"
    current = admin.placement.get_resource_provider(rp["uuid"]).generation
    assert current == placed.generation
    for body, words in (
            ({"VCPU": {"total": 4, "reserved": 4}}, "greater than or equal to total"),
            ({"NOT_A_CLASS": {"total": 1}}, "No such resource class NOT_A_CLASS"),
            ({"VCPU": {"total": "8"}}, "is not of type 'integer'"),
            ({"VCPU": {"total": 0}}, "less than the minimum of 1"),
            ({"VCPU": {"total": 2 ** 31}}, "Failed validating 'maximum'")):
        answer = call(ksa, "PUT", f"/resource_providers/{rp['uuid']}/inventories", "1.25",
                      json={"resource_provider_generation": current, "inventories": body})
        assert answer.status_code == 400, answer.text
        assert words in error_of(answer)["detail"]
    # From 1.26 reserved may equal total.
    assert call(ksa, "PUT", f"/resource_providers/{rp['uuid']}/inventories", "1.26",
                json={"resource_provider_generation": current, "inventories": {
                    "VCPU": {"total": 4, "reserved": 4}}}).status_code == 200


def test_inventory_in_use_cannot_be_removed(ksa, make_rp):
    rp = make_rp(inventory={"VCPU": 4, "DISK_GB": 10})
    consumer = str(uuid.uuid4())
    assert call(ksa, "PUT", f"/allocations/{consumer}", "1.28", json={
        "allocations": {rp["uuid"]: {"resources": {"DISK_GB": 5}}}, "project_id": "p",
        "user_id": "u", "consumer_generation": None}).status_code == 204
    generation = call(ksa, "GET", f"/resource_providers/{rp['uuid']}").json()["generation"]
    gone = call(ksa, "PUT", f"/resource_providers/{rp['uuid']}/inventories", "1.23",
                json={"resource_provider_generation": generation,
                      "inventories": {"VCPU": {"total": 4}}})
    assert gone.status_code == 409
    assert error_of(gone)["code"] == "placement.inventory.inuse"
    one = call(ksa, "DELETE", f"/resource_providers/{rp['uuid']}/inventories/DISK_GB", "1.23")
    assert one.status_code == 409
    assert call(ksa, "DELETE", f"/resource_providers/{rp['uuid']}/inventories",
                "1.4").status_code == 405
    # Shrinking below the usage is taken, as Placement does (the operator's overcommit).
    shrunk = call(ksa, "PUT", f"/resource_providers/{rp['uuid']}/inventories/DISK_GB", "1.23",
                  json={"resource_provider_generation": generation, "total": 2})
    assert shrunk.status_code == 200 and shrunk.json()["total"] == 2


def test_cli_inventory_traits_and_classes(cli, make_rp):
    rp = make_rp()
    cli("resource", "provider", "inventory", "set", rp["uuid"], "--resource", "VCPU=16",
        "--resource", "MEMORY_MB:allocation_ratio=1.5", "--resource", "MEMORY_MB=4096")
    rows = {r["resource_class"]: r for r in cli("resource", "provider", "inventory", "list",
                                                rp["uuid"], "-f", "json")}
    assert rows["VCPU"]["total"] == 16 and rows["MEMORY_MB"]["allocation_ratio"] == 1.5
    name = f"CUSTOM_{uuid.uuid4().hex[:8].upper()}"
    cli(PV, "1.7", "resource", "class", "create", name)
    assert name in {r["name"] for r in cli(PV, "1.7", "resource", "class", "list", "-f",
                                           "json")}
    cli(PV, "1.6", "trait", "create", name)
    cli(PV, "1.6", "resource", "provider", "trait", "set", rp["uuid"], "--trait", name,
        "--trait", "HW_CPU_X86_AVX2")
    traits = {r["name"] for r in cli(PV, "1.6", "resource", "provider", "trait", "list",
                                     rp["uuid"], "-f", "json")}
    assert traits == {name, "HW_CPU_X86_AVX2"}
    busy = cli(PV, "1.6", "trait", "delete", name, check=False)
    assert busy.returncode != 0 and "in use" in busy.stderr
    cli(PV, "1.6", "resource", "provider", "trait", "delete", rp["uuid"])
    cli(PV, "1.6", "trait", "delete", name)
    cli(PV, "1.7", "resource", "class", "delete", name)


def test_sdk_traits_and_classes(admin, ksa):
    name = f"CUSTOM_{uuid.uuid4().hex[:8].upper()}"
    admin.placement.create_trait(name)
    assert admin.placement.get_trait(name).id == name
    assert "HW_CPU_X86_SSE42" in {t.id for t in admin.placement.traits()}
    with pytest.raises(sdk_exc.BadRequestException):
        admin.placement.delete_trait("HW_CPU_X86_SSE42")
    admin.placement.delete_trait(name)
    bad = call(ksa, "PUT", "/traits/NOT_CUSTOM", "1.6")
    assert bad.status_code == 400 and "The trait is invalid" in error_of(bad)["detail"]
    rc = admin.placement.create_resource_class(name=name)
    assert admin.placement.get_resource_class(rc.name).name == name
    standard = call(ksa, "DELETE", "/resource_classes/VCPU", "1.2")
    assert standard.status_code == 400
    assert call(ksa, "POST", "/resource_classes", "1.2", json={
        "name": "C" * 300}).status_code == 400
    admin.placement.delete_resource_class(name)


def test_aggregates_with_generations(admin, ksa, cli, make_rp):
    rp = make_rp()
    aggs = [str(uuid.uuid4()), str(uuid.uuid4())]
    old = call(ksa, "PUT", f"/resource_providers/{rp['uuid']}/aggregates", "1.1", json=aggs)
    assert old.json() == {"aggregates": aggs}
    answer = call(ksa, "GET", f"/resource_providers/{rp['uuid']}/aggregates", "1.19").json()
    assert answer["aggregates"] == aggs and answer["resource_provider_generation"] == 0
    stale = call(ksa, "PUT", f"/resource_providers/{rp['uuid']}/aggregates", "1.23",
                 json={"aggregates": [], "resource_provider_generation": 5})
    assert error_of(stale)["code"] == "placement.concurrent_update"
    fetched = admin.placement.get_resource_provider(rp["uuid"])  # carries its generation
    admin.placement.set_resource_provider_aggregates(fetched, aggs[0])
    assert call(ksa, "GET", f"/resource_providers/{rp['uuid']}/aggregates",
                "1.19").json()["aggregates"] == [aggs[0]]
    cli(PV, "1.19", "resource", "provider", "aggregate", "set", rp["uuid"], "--aggregate",
        aggs[1], "--generation", "1")
    members = cli(PV, "1.3", "resource", "provider", "list", "--member-of", aggs[1], "-f",
                  "json")
    assert [m["uuid"] for m in members] == [rp["uuid"]]
    bad = call(ksa, "PUT", f"/resource_providers/{rp['uuid']}/aggregates", "1.19",
               json={"aggregates": ["nope"], "resource_provider_generation": 2})
    assert bad.status_code == 400


def test_listing_filters_resources_and_required(ksa, make_rp):
    big = make_rp(unique("big"), inventory={"VCPU": 32})
    small = make_rp(unique("small"), inventory={"VCPU": 2})
    found = call(ksa, "GET", "/resource_providers?resources=VCPU:16", "1.4").json()
    # Among this test's providers (the cloud's compute node may be listed too).
    mine = {big["uuid"], small["uuid"]}
    assert [p["uuid"] for p in found["resource_providers"] if p["uuid"] in mine] == \
        [big["uuid"]]
    unknown = call(ksa, "GET", "/resource_providers?resources=NOPE:1", "1.4")
    assert "Invalid resource class in resources parameter" in error_of(unknown)["detail"]
    badq = call(ksa, "GET", "/resource_providers?required=HW_CPU_X86_AVX", "1.17")
    assert badq.status_code == 400 and "Invalid query string" in error_of(badq)["detail"]
    notrait = call(ksa, "GET", "/resource_providers?required=NO_SUCH_TRAIT", "1.18")
    assert "No such trait(s): NO_SUCH_TRAIT" in error_of(notrait)["detail"]
