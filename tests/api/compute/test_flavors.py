"""Flavors through openstacksdk, the openstack CLI and python-novaclient: DevStack's seeded
flavors, create/show/list/delete, Nova's filters and paging, per-version fields, bad input,
who may change flavors, and the unsupported-version answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openstack import exceptions as sdk_exc

from tests.api.compute._resources_fixtures import fault, raw
from tests.api.conftest import unique

SEEDED = {"1": ("m1.tiny", 512, 1, 1), "2": ("m1.small", 2048, 1, 20),
          "3": ("m1.medium", 4096, 2, 40), "4": ("m1.large", 8192, 4, 80),
          "5": ("m1.xlarge", 16384, 8, 160), "42": ("m1.nano", 128, 1, 1),
          "84": ("m1.micro", 192, 1, 1)}


@pytest.fixture
def make_flavor(admin: Any) -> Iterator[Callable[..., Any]]:
    made: list[str] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("cr-flavor"))
        kw.setdefault("ram", 128)
        kw.setdefault("vcpus", 1)
        kw.setdefault("disk", 1)
        flavor = admin.compute.create_flavor(**kw)
        made.append(flavor.id)
        return flavor

    yield make
    for flavor_id in made:
        admin.compute.delete_flavor(flavor_id, ignore_missing=True)


def test_devstacks_flavors_are_seeded(admin: Any) -> None:
    found = {f.id: f for f in admin.compute.flavors(details=True)}
    for flavor_id, (name, ram, vcpus, disk) in SEEDED.items():
        flavor = found[flavor_id]
        assert (flavor.name, flavor.ram, flavor.vcpus, flavor.disk) == (name, ram, vcpus, disk)
        assert flavor.is_public is True


def test_cli_creates_lists_shows_sets_properties_and_deletes(cli: Callable[..., Any]) -> None:
    name = unique("cr-cli")
    made = cli("flavor", "create", "--ram", "256", "--disk", "2", "--vcpus", "2",
               "--ephemeral", "1", "--swap", "64", "--id", name + "-id", name, "-f", "json")
    try:
        assert made["id"] == name + "-id" and made["ram"] == 256 and made["vcpus"] == 2
        assert made["OS-FLV-EXT-DATA:ephemeral"] == 1 and made["swap"] == 64
        listed = {f["Name"] for f in cli("flavor", "list", "-f", "json")}
        assert name in listed and "m1.nano" in listed
        cli("flavor", "set", "--property", "hw:cpu_policy=dedicated", "--property",
            "custom:thing=1", name)
        shown = cli("flavor", "show", name, "-f", "json")
        assert shown["properties"] == {"hw:cpu_policy": "dedicated", "custom:thing": "1"}
        cli("flavor", "unset", "--property", "custom:thing", name)
        shown = cli("flavor", "show", name, "-f", "json")
        assert shown["properties"] == {"hw:cpu_policy": "dedicated"}
    finally:
        cli("flavor", "delete", name)
    gone = cli("flavor", "show", name, check=False)
    assert gone.returncode != 0


def test_novaclient_creates_with_an_automatic_id_and_manages_keys(nova: Any) -> None:
    flavor = nova.flavors.create(unique("cr-nova"), 128, 1, 1, flavorid="auto",
                                 ephemeral=0, swap=0, rxtx_factor=2.0)
    try:
        assert len(flavor.id) == 36 and flavor.rxtx_factor == 2.0
        assert flavor.swap == ""  # Nova's empty swap before 2.75
        flavor.set_keys({"hw:mem_page_size": "large", "quota:cpu_shares": "512"})
        assert nova.flavors.get(flavor.id).get_keys() == {"hw:mem_page_size": "large",
                                                          "quota:cpu_shares": "512"}
        flavor.unset_keys(["quota:cpu_shares"])
        assert flavor.get_keys() == {"hw:mem_page_size": "large"}
        assert flavor.id in [f.id for f in nova.flavors.list()]
    finally:
        nova.flavors.delete(flavor.id)
    from novaclient import exceptions as nova_exc
    with pytest.raises(nova_exc.NotFound):
        nova.flavors.get(flavor.id)


def test_private_flavors_are_seen_by_their_projects_and_admins(
        admin: Any, member: Any, make_flavor: Callable[..., Any], cli: Callable[..., Any]
) -> None:
    private = make_flavor(is_public=False)
    assert private.id not in [f.id for f in member.conn.compute.flavors()]
    assert fault(raw(member.conn, "get", f"/flavors/{private.id}"), 404)
    # An admin sees it only when asking for every flavor (is_public=None) or private ones.
    default = raw(admin, "get", "/flavors").json()["flavors"]
    assert private.id not in [f["id"] for f in default]
    every = raw(admin, "get", "/flavors?is_public=None").json()["flavors"]
    only_private = raw(admin, "get", "/flavors?is_public=false").json()["flavors"]
    assert private.id in [f["id"] for f in every]
    assert [f["id"] for f in only_private if f["id"] in SEEDED] == []
    cli("flavor", "set", "--project", member.project.id, private.id)
    assert private.id in [f.id for f in member.conn.compute.flavors()]
    assert member.conn.compute.get_flavor(private.id).name == private.name
    access = admin.compute.get_flavor_access(private.id)
    assert [a["tenant_id"] for a in access] == [member.project.id]
    again = raw(admin, "post", f"/flavors/{private.id}/action",
                json={"addTenantAccess": {"tenant": member.project.id}})
    assert "already exists" in fault(again, 409)
    admin.compute.flavor_remove_tenant_access(private.id, member.project.id)
    assert private.id not in [f.id for f in member.conn.compute.flavors()]
    public_access = raw(admin, "get", "/flavors/1/os-flavor-access")
    assert "public flavors" in fault(public_access, 404)
    unknown = raw(admin, "post", f"/flavors/{private.id}/action",
                  json={"addTenantAccess": {"tenant": "no-such-project"}})
    assert "not a valid project" in fault(unknown, 400)


def test_filters_sorting_and_paging(admin: Any) -> None:
    big = [f["id"] for f in raw(admin, "get", "/flavors?minRam=8192").json()["flavors"]]
    assert {"4", "5"} <= set(big) and "1" not in big
    disks = raw(admin, "get", "/flavors/detail?minDisk=40&sort_key=memory_mb&sort_dir=desc")
    rams = [f["ram"] for f in disks.json()["flavors"]]
    assert rams == sorted(rams, reverse=True) and min(f["disk"] for f in
                                                       disks.json()["flavors"]) >= 40
    page = raw(admin, "get", "/flavors?limit=2").json()
    assert len(page["flavors"]) == 2 and page["flavors_links"][0]["rel"] == "next"
    marker = page["flavors"][-1]["id"]
    assert f"marker={marker}" in page["flavors_links"][0]["href"]
    nxt = raw(admin, "get", f"/flavors?limit=2&marker={marker}").json()["flavors"]
    assert nxt and nxt[0]["id"] not in [f["id"] for f in page["flavors"]]
    everything = [f.id for f in admin.compute.flavors()]  # the SDK follows the links
    assert set(SEEDED) <= set(everything) and len(everything) == len(set(everything))
    assert "minRam" in fault(raw(admin, "get", "/flavors?minRam=lots"), 400)
    assert "not found" in fault(raw(admin, "get", "/flavors?marker=nope"), 400)
    assert fault(raw(admin, "get", "/flavors?unknown=1", "2.75"), 400)
    assert raw(admin, "get", "/flavors?unknown=1", "2.74").status_code == 200


def test_fields_per_version(admin: Any, make_flavor: Callable[..., Any]) -> None:
    flavor = make_flavor(swap=0)
    old = raw(admin, "get", f"/flavors/{flavor.id}", "2.1").json()["flavor"]
    assert old["swap"] == "" and "description" not in old and "extra_specs" not in old
    admin.compute.create_flavor_extra_specs(flavor.id, {"hw:numa_nodes": "1"})
    new = raw(admin, "get", f"/flavors/{flavor.id}", "2.75").json()["flavor"]
    assert new["swap"] == 0 and new["description"] is None
    assert new["extra_specs"] == {"hw:numa_nodes": "1"}
    brief = raw(admin, "get", "/flavors", "2.55").json()["flavors"][0]
    assert set(brief) == {"id", "name", "links", "description"}


def test_descriptions_from_2_55(admin: Any, make_flavor: Callable[..., Any]) -> None:
    body = {"flavor": {"name": unique("cr-desc"), "ram": 64, "vcpus": 1, "disk": 0,
                       "description": "small"}}
    assert "description" in fault(raw(admin, "post", "/flavors", "2.54", json=body), 400)
    made = raw(admin, "post", "/flavors", "2.55", json=body)
    assert made.status_code == 200
    flavor_id = made.json()["flavor"]["id"]
    try:
        assert made.json()["flavor"]["description"] == "small"
        upd = {"flavor": {"description": "changed"}}
        assert fault(raw(admin, "put", f"/flavors/{flavor_id}", "2.54", json=upd), 404)
        done = raw(admin, "put", f"/flavors/{flavor_id}", "2.55", json=upd)
        assert done.json()["flavor"]["description"] == "changed"
        sdk = admin.compute.get_flavor(flavor_id)
        assert sdk.description == "changed"
    finally:
        admin.compute.delete_flavor(flavor_id)


@pytest.mark.parametrize("change, words", [
    ({"name": "x" * 65536}, "name"),
    ({"ram": 0}, "ram"),
    ({"vcpus": "many"}, "vcpus"),
    ({"disk": -1}, "disk"),
    ({"rxtx_factor": 0}, "rxtx_factor"),
    ({"colour": "blue"}, "colour"),
    ({"name": " padded "}, "name"),
    ({"id": " bad id"}, "id"),
])
def test_bad_flavors_are_refused(admin: Any, change: dict[str, Any], words: str) -> None:
    body = {"flavor": {"name": unique("cr-bad"), "ram": 64, "vcpus": 1, "disk": 0, **change}}
    message = fault(raw(admin, "post", "/flavors", json=body), 400)
    assert words in message
    assert body["flavor"]["name"] not in [f.name for f in admin.compute.flavors()]


def test_duplicates_conflict(admin: Any, make_flavor: Callable[..., Any]) -> None:
    flavor = make_flavor()
    same_name = {"flavor": {"name": flavor.name, "ram": 64, "vcpus": 1, "disk": 0}}
    assert "already exists" in fault(raw(admin, "post", "/flavors", json=same_name), 409)
    same_id = {"flavor": {"name": unique("cr-dup"), "ram": 64, "vcpus": 1, "disk": 0,
                          "id": flavor.id}}
    assert "already exists" in fault(raw(admin, "post", "/flavors", json=same_id), 409)


def test_members_read_but_do_not_change_flavors(member: Any) -> None:
    assert member.conn.compute.get_flavor("42").ram == 128
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.compute.create_flavor(name=unique("cr-no"), ram=64, vcpus=1, disk=0)
    assert fault(raw(member.conn, "delete", "/flavors/42"), 403)
    specs = {"extra_specs": {"hw:cpu_policy": "shared"}}
    assert fault(raw(member.conn, "post", "/flavors/42/os-extra_specs", json=specs), 403)
    assert raw(member.conn, "get", "/flavors/42/os-extra_specs").json() == {"extra_specs": {}}
    assert fault(raw(member.conn, "get", "/flavors/42/os-flavor-access"), 403)


def test_an_unsupported_microversion_is_not_acceptable(admin: Any) -> None:
    answer = raw(admin, "get", "/flavors", "2.97")
    assert "not supported" in fault(answer, 406)
    assert raw(admin, "get", "/flavors", "2.96").headers["OpenStack-API-Version"] == \
        "compute 2.96"
