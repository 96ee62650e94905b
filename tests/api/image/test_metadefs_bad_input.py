"""Refused metadef requests: Glance's 4xx in its fault format, and nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openstack
import pytest

from tests.api.conftest import unique

NS = "/metadefs/namespaces"
HUGE = "x" * 65536
BAD_PROPERTIES: list[dict[str, Any]] = [
    {"type": "text", "title": "Unknown type"},
    {"type": "string"},
    {"title": "No type"},
    {"type": "integer", "title": "T", "minimum": "low"},
    {"type": "string", "title": "T", "enum": "virtio"},
    {"type": "string", "title": "T", "enum": [1, 2]},
    {"type": "string", "title": "T", "pattern": "(unclosed"},
    {"type": "string", "title": "T", "maxLength": -1},
    {"type": "array", "title": "T", "items": "string"},
    {"type": "string", "title": "T", "colour": "blue"},
]

pytestmark = pytest.mark.usefixtures("json_faults")


def fault(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "code", "title"} and body["code"].startswith(str(status))
    return body


@pytest.fixture
def namespace(admin: openstack.connection.Connection) -> Iterator[str]:
    name = unique("Nimbus::Bad")
    assert admin.image.post(NS, json={"namespace": name}).status_code == 201
    yield name
    admin.image.put(f"{NS}/{name}", json={"namespace": name, "protected": False})
    admin.image.delete(f"{NS}/{name}")


@pytest.mark.parametrize("definition", BAD_PROPERTIES)
def test_a_bad_property_definition_is_refused_everywhere(admin, namespace, definition):
    fault(admin.image.post(f"{NS}/{namespace}/properties",
                           json={"name": "p", **definition}), 400)
    fault(admin.image.post(f"{NS}/{namespace}/objects", json={
        "name": "o", "properties": {"p": definition}}), 400)
    other = unique("Nimbus::Bad")
    fault(admin.image.post(NS, json={"namespace": other, "properties": {"p": definition}}),
          400)
    assert admin.image.get(f"{NS}/{namespace}/properties").json() == {"properties": {}}
    assert admin.image.get(f"{NS}/{namespace}/objects").json()["objects"] == []
    assert admin.image.get(f"{NS}/{other}").status_code == 404


def test_a_good_property_update_after_a_bad_one_keeps_the_first(admin, namespace):
    url = f"{NS}/{namespace}/properties"
    good = {"name": "p", "type": "integer", "title": "P", "minimum": 0, "maximum": 10}
    assert admin.image.post(url, json=good).status_code == 201
    fault(admin.image.put(f"{url}/p", json={**good, "type": "colour"}), 400)
    assert admin.image.get(f"{url}/p").json() == good


def test_huge_names_are_refused(admin, namespace):
    fault(admin.image.post(NS, json={"namespace": HUGE}), 400)
    fault(admin.image.post(f"{NS}/{namespace}/objects", json={"name": HUGE}), 400)
    fault(admin.image.post(f"{NS}/{namespace}/properties", json={
        "name": HUGE, "type": "string", "title": "T"}), 400)
    fault(admin.image.post(f"{NS}/{namespace}/tags", json={"tags": [{"name": HUGE}]}), 400)
    fault(admin.image.post(f"{NS}/{namespace}/tags/{'t' * 81}"), 400)
    fault(admin.image.post(f"{NS}/{namespace}/resource_types", json={"name": HUGE}), 400)
    shown = admin.image.get(f"{NS}/{namespace}").json()
    assert not {"objects", "properties", "tags", "resource_type_associations"} & set(shown)
    assert HUGE not in {n.namespace for n in admin.image.metadef_namespaces()}


def test_duplicates_conflict(admin, namespace):
    fault(admin.image.post(NS, json={"namespace": namespace}), 409)
    url = f"{NS}/{namespace}"
    assert admin.image.post(f"{url}/objects", json={"name": "o"}).status_code == 201
    fault(admin.image.post(f"{url}/objects", json={"name": "o"}), 409)
    prop = {"name": "p", "type": "string", "title": "P"}
    assert admin.image.post(f"{url}/properties", json=prop).status_code == 201
    fault(admin.image.post(f"{url}/properties", json=prop), 409)
    assert admin.image.post(f"{url}/tags/Red").status_code == 201
    message = fault(admin.image.post(f"{url}/tags/red"), 409)["message"]
    assert "case insensitive" in message
    assert admin.image.post(f"{url}/tags/blue").status_code == 201
    fault(admin.image.put(f"{url}/tags/blue", json={"name": "RED"}), 409)
    assert admin.image.post(f"{url}/resource_types",
                            json={"name": "OS::Glance::Image"}).status_code == 201
    fault(admin.image.post(f"{url}/resource_types", json={"name": "OS::Glance::Image"}), 409)


def test_a_refused_bulk_tag_replacement_keeps_the_old_tags(admin, namespace):
    url = f"{NS}/{namespace}/tags"
    assert admin.image.post(url, json={"tags": [{"name": "keep"}]}).status_code == 201
    fault(admin.image.post(url, json={"tags": [{"name": "a"}, {"name": "A"}]}), 409)
    fault(admin.image.post(url, json={"tags": [{"name": "keep"}]},
                           headers={"X-Openstack-Append": "true"}), 409)
    fault(admin.image.post(url, json={"tags": [{"nom": "x"}]}), 400)
    assert admin.image.get(url).json() == {"tags": [{"name": "keep"}]}


def test_a_namespace_whose_contents_conflict_is_not_created(admin):
    name = unique("Nimbus::Bad")
    fault(admin.image.post(NS, json={"namespace": name, "objects": [{"name": "o"},
                                                                     {"name": "o"}]}), 409)
    fault(admin.image.post(NS, json={"namespace": name, "tags": [{"name": "t"},
                                                                  {"name": "T"}]}), 409)
    assert admin.image.get(f"{NS}/{name}").status_code == 404


def test_read_only_fields_bodies_and_queries(admin, namespace):
    fault(admin.image.post(NS, json={"namespace": unique("n"), "created_at": "now"}), 403)
    fault(admin.image.post(f"{NS}/{namespace}/objects", json={"name": "o", "self": "x"}),
          403)
    fault(admin.image.post(NS, data=b"{not json", headers={
        "Content-Type": "application/json"}), 400)
    fault(admin.image.post(NS, json=["namespace"]), 400)
    fault(admin.image.post(NS, json={"namespace": unique("n"), "visibility": "shared"}), 400)
    fault(admin.image.put(f"{NS}/{namespace}", json={"display_name": "no name"}), 400)
    for query in ("visibility=shared", "limit=many", "limit=-1", "sort_dir=up",
                  "sort_key=colour"):
        fault(admin.image.get(f"{NS}?{query}"), 400)
    fault(admin.image.get(f"{NS}?marker=Nimbus::Nowhere"), 404)
    fault(admin.image.get(f"{NS}/Nimbus::Nowhere/objects"), 404)
    fault(admin.image.get(f"{NS}/{namespace}/objects/nothing"), 404)
    fault(admin.image.delete(f"{NS}/{namespace}/resource_types/OS::Nova::Flavor"), 404)


def test_protected_namespaces_keep_their_contents(admin, namespace):
    url = f"{NS}/{namespace}"
    assert admin.image.post(f"{url}/objects", json={"name": "o"}).status_code == 201
    assert admin.image.post(f"{url}/tags/t").status_code == 201
    assert admin.image.put(url, json={"namespace": namespace, "protected": True}
                           ).status_code == 200
    for path in ("/objects/o", "/tags/t", "/objects", "/tags", "/properties", ""):
        fault(admin.image.delete(f"{url}{path}"), 403)
    shown = admin.image.get(url).json()
    assert shown["objects"][0]["name"] == "o" and shown["tags"] == [{"name": "t"}]
