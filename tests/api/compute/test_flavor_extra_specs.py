"""Flavor extra specs through openstacksdk and python-novaclient: CRUD, Nova's validation of
the keys it knows from 2.86 (and not before), the body/URI rules, who may change them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.compute._resources_fixtures import fault, raw
from tests.api.conftest import unique


@pytest.fixture
def flavor(admin: Any) -> Iterator[Any]:
    made = admin.compute.create_flavor(name=unique("cr-specs"), ram=64, vcpus=1, disk=0)
    yield made
    admin.compute.delete_flavor(made.id, ignore_missing=True)


def test_sdk_crud(admin: Any, flavor: Any) -> None:
    compute = admin.compute
    compute.create_flavor_extra_specs(flavor.id, {"hw:cpu_policy": "dedicated",
                                                  "hw:numa_nodes": 2})
    assert compute.fetch_flavor_extra_specs(flavor.id).extra_specs == {
        "hw:cpu_policy": "dedicated", "hw:numa_nodes": "2"}
    assert compute.get_flavor_extra_specs_property(flavor.id, "hw:numa_nodes") == "2"
    compute.update_flavor_extra_specs_property(flavor.id, "hw:numa_nodes", "1")
    assert compute.get_flavor_extra_specs_property(flavor.id, "hw:numa_nodes") == "1"
    compute.delete_flavor_extra_specs_property(flavor.id, "hw:numa_nodes")
    missing = raw(admin, "get", f"/flavors/{flavor.id}/os-extra_specs/hw:numa_nodes")
    assert "has no extra specs with key hw:numa_nodes" in fault(missing, 404)
    gone = raw(admin, "delete", f"/flavors/{flavor.id}/os-extra_specs/hw:numa_nodes")
    assert fault(gone, 404)


def test_novaclient_at_the_highest_version(nova_latest: Any, flavor: Any) -> None:
    got = nova_latest.flavors.get(flavor.id)
    got.set_keys({"hw:cpu_policy": "shared", "trait:HW_CPU_X86_AVX2": "required",
                  "resources:VCPU": "2", "vendor:anything": "goes"})
    assert nova_latest.flavors.get(flavor.id).extra_specs["vendor:anything"] == "goes"
    from novaclient import exceptions as nova_exc
    with pytest.raises(nova_exc.BadRequest) as err:
        got.set_keys({"hw:cpu_policy": "sideways"})
    assert "is not one of: dedicated, shared, mixed" in str(err.value)


@pytest.mark.parametrize("key, value, words", [
    ("hw:cpu_policy", "sideways", "is not one of"),
    ("hw:no_such_spec", "1", "does not appear to be a valid extra spec"),
    ("hw:numa_nodes", "many", "is not a valid integer value"),
    ("hw:numa_nodes", "0", "less than the min value"),
    ("hide_hypervisor_id", "perhaps", "boolean-like"),
    ("resources:VCPU", "x", "is not a valid integer value"),
    ("trait:HW_CPU_X86_AVX2", "wanted", "is not one of"),
])
def test_known_keys_are_validated_from_2_86(admin: Any, flavor: Any, key: str, value: str,
                                            words: str) -> None:
    body = {"extra_specs": {key: value}}
    path = f"/flavors/{flavor.id}/os-extra_specs"
    assert words in fault(raw(admin, "post", path, "2.86", json=body), 400)
    assert raw(admin, "get", path).json() == {"extra_specs": {}}
    older = raw(admin, "post", path, "2.85", json=body)
    assert older.status_code == 200 and older.json() == body


def test_body_and_key_rules(admin: Any, flavor: Any) -> None:
    path = f"/flavors/{flavor.id}/os-extra_specs"
    mismatch = raw(admin, "put", f"{path}/hw:numa_nodes", json={"hw:mem_page_size": "1"})
    assert "mismatch" in fault(mismatch, 400)
    two = raw(admin, "put", f"{path}/a", json={"a": "1", "b": "2"})
    assert fault(two, 400)
    bad_key = raw(admin, "post", path, json={"extra_specs": {"bad/key": "1"}})
    assert fault(bad_key, 400)
    long_value = raw(admin, "post", path, json={"extra_specs": {"k": "v" * 256}})
    assert fault(long_value, 400)
    not_object = raw(admin, "post", path, json={"extra_specs": ["k"]})
    assert fault(not_object, 400)
    assert fault(raw(admin, "get", "/flavors/no-such/os-extra_specs"), 404)


def test_members_read_specs_but_do_not_change_them(admin: Any, member: Any,
                                                   flavor: Any) -> None:
    admin.compute.create_flavor_extra_specs(flavor.id, {"hw:cpu_policy": "shared"})
    path = f"/flavors/{flavor.id}/os-extra_specs"
    assert raw(member.conn, "get", path).json() == {"extra_specs": {"hw:cpu_policy": "shared"}}
    put = raw(member.conn, "put", f"{path}/hw:cpu_policy", json={"hw:cpu_policy": "mixed"})
    assert fault(put, 403)
    assert fault(raw(member.conn, "delete", f"{path}/hw:cpu_policy"), 403)
    assert admin.compute.get_flavor_extra_specs_property(flavor.id, "hw:cpu_policy") == \
        "shared"
