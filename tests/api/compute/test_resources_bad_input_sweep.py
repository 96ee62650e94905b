"""Garbage into every write of the compute resource families, at old and new versions: each
answer is a Nova fault of 4xx, never a 500, and nothing is made."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.compute._resources_fixtures import raw
from tests.api.conftest import unique

BODIES: list[Any] = [
    None, [], "text", 7, {}, {"x": 1},
    {"flavor": None}, {"flavor": []}, {"flavor": {"name": None, "ram": [], "vcpus": {},
                                                  "disk": "x"}},
    {"keypair": {"name": {"a": 1}}}, {"keypair": {"name": "k", "public_key": 5}},
    {"server_group": {"name": "g", "policies": "affinity"}},
    {"server_group": {"name": "g", "policy": ["affinity"], "rules": []}},
    {"aggregate": {"name": ["a"]}}, {"add_host": {"host": None}},
    {"set_metadata": {"metadata": []}}, {"quota_set": {"cores": None}},
    {"quota_class_set": []}, {"extra_specs": {"k": None}}, {"addTenantAccess": {}},
    {"removeTenantAccess": {"tenant": 1}}, {"status": 1}, {"host": "h", "binary": None},
    {"flavor": {"description": 7}},
]
VERSIONS = ["2.1", "2.64", "2.96"]


@pytest.fixture(scope="module")
def targets(admin: Any) -> Iterator[list[tuple[str, str]]]:
    flavor = admin.compute.create_flavor(name=unique("cr-sweep"), ram=64, vcpus=1, disk=0,
                                         is_public=False)
    aggregate = raw(admin, "post", "/os-aggregates",
                    json={"aggregate": {"name": unique("cr-sweep")}}).json()["aggregate"]
    pid = admin.current_project_id
    yield [
        ("post", "/flavors"), ("put", f"/flavors/{flavor.id}"),
        ("post", f"/flavors/{flavor.id}/action"),
        ("post", f"/flavors/{flavor.id}/os-extra_specs"),
        ("put", f"/flavors/{flavor.id}/os-extra_specs/k"),
        ("post", "/os-keypairs"), ("post", "/os-server-groups"),
        ("post", "/os-aggregates"), ("put", f"/os-aggregates/{aggregate['id']}"),
        ("post", f"/os-aggregates/{aggregate['id']}/action"),
        ("put", f"/os-quota-sets/{pid}"), ("put", "/os-quota-class-sets/default"),
        ("put", "/os-services/disable"),
        ("put", "/os-services/00000000-0000-0000-0000-000000000000"),
    ]
    admin.compute.delete_flavor(flavor.id)
    raw(admin, "delete", f"/os-aggregates/{aggregate['id']}")


@pytest.mark.parametrize("version", VERSIONS)
def test_garbage_gets_a_4xx_fault(admin: Any, targets: list[tuple[str, str]],
                                  version: str) -> None:
    before = _counts(admin)
    for method, path in targets:
        for body in BODIES:
            answer = raw(admin, method, path, version, json=body)
            assert 400 <= answer.status_code < 500, (method, path, body, answer.text)
            (fault,) = answer.json().values()
            assert fault["code"] == answer.status_code
        broken = raw(admin, method, path, version, data=b"{not json",
                     headers={"Content-Type": "application/json"})
        assert 400 <= broken.status_code < 500, (method, path, broken.text)
    assert _counts(admin) == before


def _counts(admin: Any) -> tuple[int, int, int, int]:
    return (len(raw(admin, "get", "/flavors?is_public=None").json()["flavors"]),
            len(raw(admin, "get", "/os-keypairs").json()["keypairs"]),
            len(raw(admin, "get", "/os-server-groups").json()["server_groups"]),
            len(raw(admin, "get", "/os-aggregates").json()["aggregates"]))
