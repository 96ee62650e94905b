"""Glance's secure-RBAC defaults for metadefs: readers see public namespaces and their own
project's; only admins change anything; another project's private namespace is a 404."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openstack
import pytest

from tests.api.conftest import unique
from tests.api.image.conftest import JSON_FAULTS

NS = "/metadefs/namespaces"


@pytest.fixture
def admin_namespace(admin: openstack.connection.Connection
                    ) -> Iterator[Callable[..., str]]:
    """Creates a namespace as admin (any owner, any visibility), with an object, a
    property and a tag; deletes it afterwards."""
    made: list[str] = []

    def make(owner: str | None = None, visibility: str = "private") -> str:
        name = unique("Nimbus::Rbac")
        body: dict[str, Any] = {
            "namespace": name, "visibility": visibility,
            "objects": [{"name": "thing"}], "tags": [{"name": "t1"}],
            "properties": {"size": {"type": "integer", "title": "Size"}}}
        if owner:
            body["owner"] = owner
        assert admin.image.post(NS, json=body).status_code == 201
        made.append(name)
        return name

    yield make
    for name in made:
        admin.image.delete(f"{NS}/{name}")


def listed(conn: openstack.connection.Connection) -> set[str]:
    return {n.namespace for n in conn.image.metadef_namespaces()}


def test_a_member_reads_public_namespaces_and_changes_nothing(make_member, admin):
    member = make_member("member").conn
    names = listed(member)
    assert "OS::Compute::Libvirt" in names
    # Standard but private, owned by "admin": hidden from projects, as in Glance.
    assert "OS::Glance::CommonImageProperties" not in names
    assert "OS::Glance::CommonImageProperties" in listed(admin)
    assert member.image.get(f"{NS}/OS::Glance::CommonImageProperties").status_code == 404
    assert member.image.get(f"{NS}/OS::Compute::Quota/objects").status_code == 200
    assert member.image.get("/metadefs/resource_types").status_code == 200
    name = unique("Nimbus::Refused")
    refused = member.image.post(NS, json={"namespace": name}, headers=JSON_FAULTS)
    assert refused.status_code == 403 and refused.json()["code"] == "403 Forbidden"
    assert admin.image.get(f"{NS}/{name}").status_code == 404
    libvirt = f"{NS}/OS::Compute::Libvirt"
    before = admin.image.get(libvirt).json()
    assert member.image.put(libvirt, json={"namespace": "OS::Compute::Libvirt"}
                            ).status_code == 403
    assert member.image.delete(libvirt).status_code == 403
    assert member.image.post(f"{libvirt}/objects", json={"name": "x"}).status_code == 403
    assert member.image.post(f"{libvirt}/properties", json={
        "name": "x", "title": "X", "type": "string"}).status_code == 403
    assert member.image.post(f"{libvirt}/tags/x").status_code == 403
    assert member.image.delete(f"{libvirt}/properties").status_code == 403
    assert member.image.post(f"{libvirt}/resource_types",
                             json={"name": "OS::Nova::Server"}).status_code == 403
    assert admin.image.get(libvirt).json() == before


def test_another_projects_private_namespace_is_not_found(make_member, admin_namespace):
    outsider, owner = make_member("member"), make_member("reader")
    name = admin_namespace(owner=owner.project.id)
    for path in ("", "/objects", "/objects/thing", "/properties", "/properties/size",
                 "/tags", "/tags/t1", "/resource_types"):
        answer = outsider.conn.image.get(f"{NS}/{name}{path}")
        assert answer.status_code == 404, path
    assert outsider.conn.image.delete(f"{NS}/{name}").status_code == 404
    assert outsider.conn.image.post(f"{NS}/{name}/tags/x").status_code == 404
    assert name not in listed(outsider.conn)
    # Its own project's reader sees it, and everything in it, but changes nothing.
    assert name in listed(owner.conn)
    shown = owner.conn.image.get(f"{NS}/{name}").json()
    assert shown["owner"] == owner.project.id and shown["objects"][0]["name"] == "thing"
    assert owner.conn.image.get(f"{NS}/{name}/properties/size").status_code == 200
    assert owner.conn.image.delete(f"{NS}/{name}/tags/t1").status_code == 403


def test_a_public_namespace_of_another_project_is_readable(make_member, admin_namespace):
    reader = make_member("reader")
    name = admin_namespace(owner=unique("elsewhere"), visibility="public")
    assert name in listed(reader.conn)
    assert reader.conn.image.get(f"{NS}/{name}/objects/thing").status_code == 200
    assert reader.conn.image.get(f"{NS}/{name}/tags").json()["tags"] == [{"name": "t1"}]


def test_the_admin_sees_every_namespace(admin, admin_namespace):
    name = admin_namespace(owner=unique("elsewhere"))
    assert name in listed(admin)
    assert admin.image.get(f"{NS}/{name}").json()["visibility"] == "private"
