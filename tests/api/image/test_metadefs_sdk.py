"""openstacksdk's image metadef proxies against a live Nimbus, as an admin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openstack
import pytest
from openstack import exceptions

from tests.api.conftest import unique


@pytest.fixture
def make_namespace(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    made: list[str] = []

    def make(**attrs: Any) -> Any:
        attrs.setdefault("namespace", unique("Nimbus::Sdk"))
        made.append(attrs["namespace"])
        return admin.image.create_metadef_namespace(**attrs)

    yield make
    for name in made:
        try:
            admin.image.update_metadef_namespace(name, is_protected=False)
            admin.image.delete_metadef_namespace(name, ignore_missing=True)
        except exceptions.NotFoundException:
            pass


def test_namespace_lifecycle(admin, make_namespace):
    ns = make_namespace(display_name="SDK", description="made by the sdk", visibility="public",
                        is_protected=True)
    assert ns.owner == admin.current_project_id and ns.is_protected is True
    fetched = admin.image.get_metadef_namespace(ns.namespace)
    assert fetched.display_name == "SDK" and fetched.visibility == "public"
    with pytest.raises(exceptions.ForbiddenException):
        admin.image.delete_metadef_namespace(ns.namespace)
    updated = admin.image.update_metadef_namespace(ns.namespace, is_protected=False,
                                                   description="changed")
    assert updated.is_protected is False and updated.description == "changed"
    admin.image.delete_metadef_namespace(ns.namespace)
    with pytest.raises(exceptions.NotFoundException):
        admin.image.get_metadef_namespace(ns.namespace)


def test_listing_pages_sorts_and_filters(admin, make_namespace):
    mine = sorted(make_namespace(visibility="private").namespace for _ in range(3))
    listed = [n.namespace for n in admin.image.metadef_namespaces(
        limit=2, sort_key="namespace", sort_dir="asc", visibility="private")]
    assert [name for name in listed if name in mine] == mine
    assert listed == sorted(listed)
    assert "OS::Compute::Libvirt" not in listed  # public, filtered out
    everything = [n.namespace for n in admin.image.metadef_namespaces()]
    assert len(everything) == len(set(everything)) and set(mine) <= set(everything)
    flavor = [n.namespace for n in admin.image.metadef_namespaces(
        resource_types="OS::Nova::Flavor")]
    assert "OS::Compute::Quota" in flavor and "OS::Compute::LibvirtImage" not in flavor


def test_namespace_created_with_contents_shows_them(admin, make_namespace):
    """The sdk's namespace has no properties or objects: the body goes as a client sends it."""
    ns = make_namespace()
    admin.image.delete_metadef_namespace(ns.namespace)
    created = admin.image.post("/metadefs/namespaces", json={
        "namespace": ns.namespace,
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "nb_"}],
        "properties": {"speed": {"type": "integer", "title": "Speed", "minimum": 1}},
        "objects": [{"name": "link", "required": ["mtu"],
                     "properties": {"mtu": {"type": "integer", "title": "MTU"}}}],
        "tags": [{"name": "fast"}]})
    assert created.status_code == 201
    assert created.headers["Location"].endswith(f"/v2/metadefs/namespaces/{ns.namespace}")
    assert created.json()["tags"] == [{"name": "fast"}]
    raw = admin.image.get(f"/metadefs/namespaces/{ns.namespace}").json()
    assert raw["properties"]["speed"]["minimum"] == 1
    assert raw["objects"][0]["required"] == ["mtu"] and raw["tags"] == [{"name": "fast"}]
    prefixed = admin.image.get(f"/metadefs/namespaces/{ns.namespace}"
                               "?resource_type=OS::Glance::Image").json()
    assert set(prefixed["properties"]) == {"nb_speed"}
    assert prefixed["objects"][0]["required"] == ["nb_mtu"]
    prop = admin.image.get(f"/metadefs/namespaces/{ns.namespace}/properties/nb_speed"
                           "?resource_type=OS::Glance::Image").json()
    assert prop["name"] == "speed"


def test_objects_and_properties(admin, make_namespace):
    ns = make_namespace()
    obj = admin.image.create_metadef_object(
        ns, name="disk", description="a disk", properties={
            "bus": {"type": "string", "title": "Bus", "enum": ["virtio", "scsi"]}})
    assert obj.properties["bus"]["enum"] == ["virtio", "scsi"]
    assert [o.name for o in admin.image.metadef_objects(ns)] == ["disk"]
    renamed = admin.image.update_metadef_object("disk", ns, name="volume")
    assert renamed.name == "volume"
    prop = admin.image.create_metadef_property(ns, name="cores", title="Cores",
                                               type="integer", minimum=1, maximum=64)
    assert prop.minimum == 1 and prop.maximum == 64
    fetched = admin.image.get_metadef_property("cores", ns)
    assert fetched.title == "Cores"
    admin.image.update_metadef_property("cores", ns, name="cores", title="CPU cores",
                                        type="integer")
    assert admin.image.get_metadef_property("cores", ns).title == "CPU cores"
    assert [p.name for p in admin.image.metadef_properties(ns)] == ["cores"]
    admin.image.delete_all_metadef_properties(ns)
    admin.image.delete_all_metadef_objects(ns)
    assert list(admin.image.metadef_properties(ns)) == []
    assert list(admin.image.metadef_objects(ns)) == []


def test_tags_single_bulk_and_append(admin, make_namespace):
    ns = make_namespace()
    admin.image.add_tag_to_metadef_namespace(ns, "one")
    url = f"/metadefs/namespaces/{ns.namespace}/tags"
    admin.image.post(url, json={"tags": [{"name": "two"}, {"name": "three"}]},
                     headers={"X-Openstack-Append": "True"})
    names = {t["name"] for t in admin.image.get(url).json()["tags"]}
    assert names == {"one", "two", "three"}
    admin.image.post(url, json={"tags": [{"name": "only"}]})
    assert admin.image.get(url).json()["tags"] == [{"name": "only"}]
    admin.image.remove_tag_from_metadef_namespace(ns, "only")
    admin.image.post(url, json={"tags": [{"name": "a"}, {"name": "b"}]})
    admin.image.remove_tags_from_metadef_namespace(ns)
    assert admin.image.get(url).json()["tags"] == []


def test_resource_type_associations(admin, make_namespace):
    ns = make_namespace()
    names = {r.name for r in admin.image.metadef_resource_types()}
    assert {"OS::Glance::Image", "OS::Nova::Flavor", "OS::Cinder::Volume"} <= names
    made = admin.image.create_metadef_resource_type_association(
        ns, name="OS::Nova::Flavor", prefix="nb:")
    assert made.name == "OS::Nova::Flavor" and made.prefix == "nb:"
    assert [a.name for a in admin.image.metadef_resource_type_associations(ns)] == [
        "OS::Nova::Flavor"]
    with pytest.raises(exceptions.ConflictException):
        admin.image.create_metadef_resource_type_association(ns, name="OS::Nova::Flavor")
    admin.image.delete_metadef_resource_type_association("OS::Nova::Flavor", ns)
    assert list(admin.image.metadef_resource_type_associations(ns)) == []


def test_every_metadef_schema_is_published(admin):
    namespace = admin.image.get_metadef_namespace_schema()
    assert namespace.name == "namespace" and namespace.required == ["namespace"]
    assert namespace.properties["visibility"]["enum"] == ["public", "private"]
    prop = admin.image.get_metadef_property_schema()
    assert set(prop.required) == {"type", "title", "name"}
    assert admin.image.get_metadef_properties_schema().name == "properties"
    assert admin.image.get_metadef_resource_type_schema().name == "resource_type_association"
    assert admin.image.get_metadef_resource_types_schema().name == "resource_type_associations"
    for getter, name in ((admin.image.get_metadef_namespaces_schema, "namespaces"),
                         (admin.image.get_metadef_object_schema, "object"),
                         (admin.image.get_metadef_objects_schema, "objects"),
                         (admin.image.get_metadef_tag_schema, "tag"),
                         (admin.image.get_metadef_tags_schema, "tags")):
        assert getter().name == name
