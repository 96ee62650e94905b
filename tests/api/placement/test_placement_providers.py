"""Resource providers through openstacksdk and keystoneauth1: versions, nesting,
generations, Placement's error body, bad input and RBAC."""

from __future__ import annotations

import uuid

import httpx
import pytest
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique
from tests.api.placement.conftest import call, error_of


def test_version_document_needs_no_token_and_versions_are_negotiated(cloud):
    for url in (f"{cloud.url}/placement/", f"{cloud.url}/placement"):
        doc = httpx.get(url).json()
        assert doc == {"versions": [{"id": "v1.0", "max_version": "1.39", "min_version": "1.0",
                                     "status": "CURRENT", "links": [{"rel": "self",
                                                                     "href": ""}]}]}
    answer = httpx.get(f"{cloud.url}/placement/",
                       headers={"OpenStack-API-Version": "placement latest"})
    assert answer.headers["openstack-api-version"] == "placement 1.39"
    assert answer.headers["vary"] == "openstack-api-version"
    too_new = httpx.get(f"{cloud.url}/placement/",
                        headers={"OpenStack-API-Version": "placement 1.40"})
    assert too_new.status_code == 406
    err = error_of(too_new)
    assert (err["max_version"], err["min_version"]) == ("1.39", "1.0")
    assert "Unacceptable version header: 1.40" in err["detail"]
    bad = httpx.get(f"{cloud.url}/placement/", headers={"OpenStack-API-Version": "placement x"})
    assert bad.status_code == 400 and "invalid version string" in error_of(bad)["detail"]
    assert httpx.get(f"{cloud.url}/placement/resource_providers").status_code == 401


def test_sdk_provider_lifecycle_and_nesting(admin, make_rp):
    root = admin.placement.create_resource_provider(name=unique("cn"))
    try:
        assert root.generation == 0 and root.root_provider_id == root.id
        child = make_rp(parent=root.id)
        assert child["parent_provider_uuid"] == root.id
        assert child["root_provider_uuid"] == root.id
        renamed = admin.placement.update_resource_provider(root, name=unique("cn-renamed"))
        assert admin.placement.get_resource_provider(root.id).name == renamed.name
        in_tree = {p.id for p in admin.placement.resource_providers(in_tree=child["uuid"])}
        assert in_tree == {root.id, child["uuid"]}
        with pytest.raises(sdk_exc.ConflictException):  # it has a child
            admin.placement.delete_resource_provider(root)
        admin.placement.delete_resource_provider(child["uuid"])
    finally:
        admin.placement.delete_resource_provider(root, ignore_missing=True)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.placement.get_resource_provider(root.id)


def test_duplicate_names_and_reparenting_follow_the_microversion(ksa, make_rp):
    first, other = make_rp(), make_rp()
    dup = call(ksa, "POST", "/resource_providers", "1.23", json={"name": first["name"]})
    assert dup.status_code == 409
    err = error_of(dup)
    assert err["code"] == "placement.duplicate_name" and err["title"] == "Conflict"
    assert err["request_id"] == dup.headers["x-openstack-request-id"]
    assert "code" not in error_of(call(ksa, "POST", "/resource_providers", "1.22",
                                       json={"name": first["name"]}))
    child = make_rp(parent=first["uuid"])
    body = {"name": child["name"], "parent_provider_uuid": other["uuid"]}
    refused = call(ksa, "PUT", f"/resource_providers/{child['uuid']}", "1.36", json=body)
    assert refused.status_code == 400
    assert "re-parenting a provider is not currently allowed" in error_of(refused)["detail"]
    moved = call(ksa, "PUT", f"/resource_providers/{child['uuid']}", "1.37", json=body)
    assert moved.json()["root_provider_uuid"] == other["uuid"]
    loop = call(ksa, "PUT", f"/resource_providers/{other['uuid']}", "1.37",
                json={"name": other["name"], "parent_provider_uuid": child["uuid"]})
    assert "creating loop in the provider tree is not allowed" in error_of(loop)["detail"]


@pytest.mark.parametrize("body, words", [
    ({"name": "x" * 65536}, "Failed validating 'maxLength'"),
    ({"name": 12}, "is not of type 'string'"),
    ({"name": "ok", "uuid": "not-a-uuid"}, "Failed validating 'format'"),
    ({"name": "ok", "generation": 3}, "Additional properties are not allowed"),
    ({"name": "ok", "parent_provider_uuid": str(uuid.uuid4())}, "parent provider UUID "
     "does not exist"),
])
def test_bad_provider_bodies_are_400_and_write_nothing(admin, ksa, body, words):
    before = {p.id for p in admin.placement.resource_providers()}
    answer = call(ksa, "POST", "/resource_providers", "1.20", json=body)
    assert answer.status_code == 400, answer.text
    err = error_of(answer)
    assert err["title"] == "Bad Request" and words in err["detail"]
    assert {p.id for p in admin.placement.resource_providers()} == before


def test_malformed_json_wrong_media_type_and_unknown_paths(ksa, make_rp):
    rp = make_rp()
    broken = call(ksa, "POST", "/resource_providers", "1.20", data=b"{",
                  headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and "Malformed JSON" in error_of(broken)["detail"]
    text = call(ksa, "PUT", f"/resource_providers/{rp['uuid']}", "1.20", data=b"name",
                headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    missing = call(ksa, "GET", f"/resource_providers/{uuid.uuid4()}", "1.23")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "placement.undefined_code"
    nowhere = call(ksa, "GET", "/no/such/thing", "1.23")
    assert nowhere.status_code == 404 and error_of(nowhere)["request_id"]
    wrong = call(ksa, "PATCH", "/resource_providers")
    assert wrong.status_code == 405 and wrong.headers["allow"] in ("GET, POST", "POST, GET")
    old = call(ksa, "GET", "/resource_classes", "1.1")
    assert old.status_code == 404


def test_a_member_is_forbidden_and_nothing_is_written(admin, member_session):
    listing = call(member_session, "GET", "/resource_providers", "1.23")
    assert listing.status_code == 403
    err = error_of(listing)
    assert err["detail"].endswith("Policy does not allow placement:resource_providers:list "
                                  "to be performed.  ")
    name = unique("by-member")
    assert call(member_session, "POST", "/resource_providers", "1.20",
                json={"name": name}).status_code == 403
    assert not list(admin.placement.resource_providers(name=name))
    # A project reader may read its own project's usages (placement:usages).
    project = member_session.get_project_id()
    own = call(member_session, "GET", f"/usages?project_id={project}", "1.9")
    assert own.status_code == 200 and own.json() == {"usages": {}}
    assert call(member_session, "GET", f"/usages?project_id={uuid.uuid4()}",
                "1.9").status_code == 403
