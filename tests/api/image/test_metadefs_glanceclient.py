"""The legacy python-glanceclient's metadefs controllers against a live Nimbus: they build
their models from /v2/schemas/metadefs/*, so those schemas must describe what is served.

Error answers are left to the other clients: glanceclient sends no JSON Accept header and
parses JSON faults as Glance never sends them to it (Glance answers such clients in HTML).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from glanceclient import Client

from tests.api.conftest import unique
from tests.conftest import LiveCloud


@pytest.fixture
def glance(cloud: LiveCloud, admin: Any) -> Any:
    return Client("2", session=admin.session, region_name="RegionOne")


@pytest.fixture
def namespace(glance: Any) -> Iterator[str]:
    name = unique("Nimbus::Glance")
    glance.metadefs_namespace.create(namespace=name, display_name="glanceclient",
                                     visibility="public", protected=False)
    yield name
    glance.metadefs_namespace.update(name, protected=False)
    glance.metadefs_namespace.delete(name)
    assert name not in [n["namespace"] for n in glance.metadefs_namespace.list()]


def test_namespaces(glance, namespace):
    listed = [n["namespace"] for n in glance.metadefs_namespace.list()]
    assert namespace in listed and "OS::Compute::Libvirt" in listed
    assert len(listed) == len(set(listed))
    shown = glance.metadefs_namespace.get(namespace)
    assert shown["display_name"] == "glanceclient" and shown["visibility"] == "public"
    updated = glance.metadefs_namespace.update(namespace, description="updated",
                                               protected=True)
    assert updated["description"] == "updated" and updated["protected"] is True
    glance.metadefs_namespace.update(namespace, protected=False)
    libvirt = glance.metadefs_namespace.get("OS::Compute::Libvirt",
                                            resource_type="OS::Nova::Flavor")
    assert "hw:serial_port_count" in libvirt["properties"]


def test_objects_properties_and_tags(glance, namespace):
    obj = glance.metadefs_object.create(namespace, name="nic", required=["model"],
                                        properties={"model": {"type": "string",
                                                              "title": "Model"}})
    assert obj["name"] == "nic" and obj["required"] == ["model"]
    glance.metadefs_object.update(namespace, "nic", name="card")
    assert [o["name"] for o in glance.metadefs_object.list(namespace)] == ["card"]
    assert glance.metadefs_object.get(namespace, "card")["properties"]["model"]["title"] \
        == "Model"
    prop = glance.metadefs_property.create(namespace, name="rate", title="Rate",
                                           type="number", minimum=0)
    assert prop["type"] == "number"
    glance.metadefs_property.update(namespace, "rate", title="Rate per second")
    assert glance.metadefs_property.get(namespace, "rate")["title"] == "Rate per second"
    assert [p["name"] for p in glance.metadefs_property.list(namespace)] == ["rate"]
    tags = list(glance.metadefs_tag.create_multiple(namespace, tags=["red", "blue"]))
    assert sorted(t["name"] for t in tags) == ["blue", "red"]
    glance.metadefs_tag.create(namespace, "green")
    glance.metadefs_tag.update(namespace, "green", name="lime")
    assert glance.metadefs_tag.get(namespace, "lime")["name"] == "lime"
    assert sorted(t["name"] for t in glance.metadefs_tag.list(namespace)) == [
        "blue", "lime", "red"]
    glance.metadefs_tag.delete(namespace, "lime")
    glance.metadefs_tag.delete_all(namespace)
    glance.metadefs_property.delete_all(namespace)
    glance.metadefs_object.delete_all(namespace)
    assert list(glance.metadefs_tag.list(namespace)) == []
    assert list(glance.metadefs_property.list(namespace)) == []


def test_resource_types(glance, namespace):
    names = {r["name"] for r in glance.metadefs_resource_type.list()}
    assert "OS::Glance::Image" in names
    glance.metadefs_resource_type.associate(namespace, name="OS::Cinder::Volume",
                                            prefix="nb_", properties_target="image")
    found = list(glance.metadefs_resource_type.get(namespace))
    assert [(r["name"], r["prefix"]) for r in found] == [("OS::Cinder::Volume", "nb_")]
    glance.metadefs_resource_type.deassociate(namespace, "OS::Cinder::Volume")
    assert list(glance.metadefs_resource_type.get(namespace)) == []
