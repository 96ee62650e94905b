"""Image records through the openstack CLI and openstacksdk: create, show, set (JSON patch),
tags, protection, delete, and the 4xx answers to bad input."""

from __future__ import annotations

import json

import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique
from tests.api.image.conftest import JSON_FAULTS

PATCH = "application/openstack-images-v2.1-json-patch"
OLD_PATCH = "application/openstack-images-v2.0-json-patch"


def patch(conn, image_id, ops, media=PATCH):
    """A JSON patch as openstacksdk sends it (its update_image builds the same request)."""
    return conn.image.patch(f"/images/{image_id}", data=json.dumps(ops),
                            headers={"Content-Type": media, **JSON_FAULTS}, raise_exc=False)


def test_versions_and_schemas(admin, image_url, cloud):
    import httpx

    root = httpx.get(f"{cloud.url}/image")
    assert root.status_code == 300
    versions = {v["id"]: v["status"] for v in root.json()["versions"]}
    assert versions["v2.0"] == "SUPPORTED" and "CURRENT" in versions.values()
    assert httpx.get(f"{cloud.url}/image/versions").status_code == 200
    schema = admin.session.get(f"{image_url}/schemas/image").json()
    assert schema["name"] == "image" and schema["additionalProperties"] == {"type": "string"}
    assert "qcow2" in schema["properties"]["disk_format"]["enum"]
    assert schema["properties"]["os_distro"]["is_base"] is False
    images = admin.session.get(f"{image_url}/schemas/images").json()
    assert images["properties"]["images"]["items"]["name"] == "image"
    member = admin.session.get(f"{image_url}/schemas/member").json()
    assert member["properties"]["status"]["enum"] == ["pending", "accepted", "rejected"]
    assert admin.session.get(f"{image_url}/schemas/members").json()["name"] == "members"


def test_cli_create_show_set_delete(image_cli):
    name = unique("cli")
    made = image_cli("image", "create", "--disk-format", "qcow2", "--container-format",
                     "bare", "--property", "os_distro=debian", "--property", "hw_rng=yes",
                     "--tag", "one", "--tag", "two", "--min-disk", "2", "--min-ram", "128",
                     "--private", name, "-f", "json")
    try:
        assert made["status"] == "queued" and made["visibility"] == "private"
        assert sorted(made["tags"]) == ["one", "two"]
        assert made["properties"]["os_distro"] == "debian"
        image_cli("image", "set", "--name", f"{name}-2", "--property", "os_distro=ubuntu",
                  "--tag", "three", "--min-ram", "256", "--shared", made["id"])
        shown = image_cli("image", "show", made["id"], "-f", "json")
        assert shown["name"] == f"{name}-2" and shown["visibility"] == "shared"
        assert shown["properties"]["os_distro"] == "ubuntu"
        assert shown["min_ram"] == 256
        assert sorted(shown["tags"]) == ["one", "three", "two"]
        image_cli("image", "unset", "--tag", "one", "--property", "hw_rng", made["id"])
        shown = image_cli("image", "show", made["id"], "-f", "json")
        assert "one" not in shown["tags"] and "hw_rng" not in shown["properties"]
    finally:
        image_cli("image", "delete", made["id"])
    gone = image_cli("image", "show", made["id"], check=False)
    assert gone.returncode != 0 and "No Image found" in gone.stderr


def test_visibility_options_of_the_cli(image_cli):
    for flag, visibility in (("--public", "public"), ("--community", "community"),
                             ("--shared", "shared"), ("--private", "private")):
        made = image_cli("image", "create", "--disk-format", "raw", "--container-format",
                         "bare", flag, unique("vis"), "-f", "json")
        try:
            assert made["visibility"] == visibility
        finally:
            image_cli("image", "delete", made["id"])


def test_protected_images_cannot_be_deleted(admin, make_image):
    image = make_image(is_protected=True)
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.image.delete_image(image)
    admin.image.update_image(image, is_protected=False)
    admin.image.delete_image(image)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.image.get_image(image.id)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.image.delete_image(image, ignore_missing=False)


def test_missing_images_are_404(admin, image_url):
    for path in ("images/00000000-0000-0000-0000-000000000000", "images/not-a-uuid",
                 "images/"):
        with pytest.raises(ks_exc.NotFound):
            admin.session.get(f"{image_url}/{path}")
        with pytest.raises(ks_exc.NotFound):
            admin.session.delete(f"{image_url}/{path}")
    with pytest.raises(ks_exc.NotFound):
        admin.session.put(f"{image_url}/images/00000000-0000-0000-0000-000000000000/tags/x")


def test_tags(admin, make_image, image_url):
    image = make_image()
    url = f"{image_url}/images/{image.id}/tags"
    assert admin.session.put(f"{url}/blue").status_code == 204
    assert admin.session.put(f"{url}/blue").status_code == 204  # adding twice is fine
    admin.image.add_tag(image, "green")
    assert sorted(admin.image.get_image(image.id).tags) == ["blue", "green"]
    admin.image.remove_tag(image, "blue")
    assert admin.image.get_image(image.id).tags == ["green"]
    with pytest.raises(ks_exc.NotFound):
        admin.session.delete(f"{url}/blue")
    with pytest.raises(ks_exc.BadRequest):
        admin.session.put(f"{url}/{'x' * 256}")


def test_json_patch_operations(admin, make_image):
    image = make_image()
    ops = [{"op": "replace", "path": "/name", "value": "patched"},
           {"op": "add", "path": "/color", "value": "red"},
           {"op": "add", "path": "/min_ram", "value": 512},
           {"op": "replace", "path": "/tags", "value": ["a", "b"]},
           {"op": "add", "path": "/os_hidden", "value": True}]
    response = patch(admin, image.id, ops)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["color"], body["min_ram"], body["os_hidden"]) == \
        ("patched", "red", 512, True)
    assert sorted(body["tags"]) == ["a", "b"]
    removed = patch(admin, image.id, [{"op": "remove", "path": "/color"}]).json()
    assert "color" not in removed
    old_style = patch(admin, image.id, [{"replace": "/name", "value": "old"}], OLD_PATCH)
    assert old_style.json()["name"] == "old"
    sdk_updated = admin.image.update_image(image, name="via-sdk", flavour="vanilla")
    assert (sdk_updated.name, sdk_updated.properties["flavour"]) == ("via-sdk", "vanilla")


@pytest.mark.parametrize("ops,status", [
    ([{"op": "replace", "path": "/status", "value": "active"}], 403),
    ([{"op": "replace", "path": "/id", "value": "x"}], 403),
    ([{"op": "add", "path": "/checksum", "value": "x"}], 403),
    ([{"op": "add", "path": "/os_glance_thing", "value": "x"}], 403),
    ([{"op": "add", "path": "/deleted", "value": "x"}], 403),
    ([{"op": "remove", "path": "/name"}], 403),
    ([{"op": "replace", "path": "/locations", "value": []}], 403),
    ([{"op": "replace", "path": "/nothere", "value": "x"}], 409),
    ([{"op": "remove", "path": "/nothere"}], 409),
    ([{"op": "move", "path": "/name", "value": "x"}], 400),
    ([{"path": "/name", "value": "x"}], 400),
    ([{"op": "replace", "value": "x"}], 400),
    ([{"op": "replace", "path": "/name"}], 400),
    ([{"op": "replace", "path": "name", "value": "x"}], 400),
    ([{"op": "replace", "path": "/tags/0", "value": "x"}], 400),
    ([{"op": "replace", "path": "/name//", "value": "x"}], 400),
    ([{"op": "replace", "path": "/min_ram", "value": "lots"}], 400),
    ([{"op": "replace", "path": "/min_ram", "value": -1}], 400),
    ([{"op": "replace", "path": "/visibility", "value": "everyone"}], 400),
    ([{"op": "replace", "path": "/disk_format", "value": "floppy"}], 400),
    ([{"op": "add", "path": "/color", "value": 7}], 400),
    ({"op": "replace", "path": "/name", "value": "x"}, 400),
    (["replace"], 400),
])
def test_bad_json_patches_change_nothing(admin, make_image, ops, status):
    image = make_image(name="unchanged")
    response = patch(admin, image.id, ops)
    assert response.status_code == status, response.text
    assert response.json()["code"].startswith(str(status))
    shown = admin.image.get_image(image.id)
    assert (shown.name, shown.status, shown.min_ram) == ("unchanged", "queued", 0)


def test_patch_media_type_and_body_must_be_right(admin, make_image):
    image = make_image()
    wrong_type = patch(admin, image.id, [], media="application/json")
    assert wrong_type.status_code == 415
    assert PATCH in wrong_type.headers["Accept-Patch"]
    malformed = admin.image.patch(f"/images/{image.id}", data="{not json",
                                  headers={"Content-Type": PATCH, **JSON_FAULTS},
                                  raise_exc=False)
    assert malformed.status_code == 400
    conflict = patch(admin, image.id, [{"add": "/name", "value": "x"}], OLD_PATCH)
    assert conflict.status_code == 409


def test_formats_change_only_while_queued(admin, make_image):
    image = make_image(data=b"payload")
    response = patch(admin, image.id, [{"op": "replace", "path": "/disk_format",
                                        "value": "qcow2"}])
    assert response.status_code == 403
    assert admin.image.get_image(image.id).disk_format == "raw"


@pytest.mark.parametrize("body,status", [
    ({"disk_format": "wrong", "container_format": "bare"}, 400),
    ({"disk_format": "raw", "container_format": "wrong"}, 400),
    ({"name": "x" * 256}, 400),
    ({"min_disk": -1}, 400),
    ({"min_ram": "lots"}, 400),
    ({"visibility": "everyone"}, 400),
    ({"protected": "yes"}, 400),
    ({"custom": 12}, 400),
    ({"id": "not-a-uuid"}, 400),
    ({"tags": ["x" * 256]}, 400),
    ({"status": "active"}, 403),
    ({"size": 12}, 403),
    ({"self": "/elsewhere"}, 403),
    ({"os_glance_import_task": "x"}, 403),
    ({"locations": []}, 403),
    ({"deleted": "true"}, 403),
    (["a", "list"], 400),
])
def test_bad_create_bodies_make_no_image(admin, image_url, body, status):
    name = unique("bad")
    if isinstance(body, dict):
        body = {"name": name, **body} if "name" not in body else body
    response = admin.session.post(f"{image_url}/images", json=body, headers=JSON_FAULTS,
                                  raise_exc=False)
    assert response.status_code == status, response.text
    assert response.json()["title"]
    assert list(admin.image.images(name=name)) == []


def test_create_with_chosen_id_and_duplicate(admin, make_image):
    image = make_image(id="7c7e93a1-5db7-4d3c-9a52-1b1c4b6f7e10")
    assert image.id == "7c7e93a1-5db7-4d3c-9a52-1b1c4b6f7e10"
    with pytest.raises(sdk_exc.ConflictException):
        make_image(id=image.id)


def test_oversized_request_bodies_are_413(admin, image_url, make_image):
    huge = {"name": "big", "description": "x" * 200_000}
    response = admin.session.post(f"{image_url}/images", json=huge, headers=JSON_FAULTS,
                                  raise_exc=False)
    assert response.status_code == 413
    image = make_image()
    response = patch(admin, image.id, [{"op": "add", "path": "/big", "value": "x" * 200_000}])
    assert response.status_code == 413


def test_too_many_properties_or_tags_are_413(admin, image_url):
    many = {f"p{i}": "v" for i in range(129)}
    response = admin.session.post(f"{image_url}/images", json={"name": "props", **many},
                                  raise_exc=False)
    assert response.status_code == 413
    tags = {"name": "tags", "tags": [f"t{i}" for i in range(129)]}
    assert admin.session.post(f"{image_url}/images", json=tags,
                              raise_exc=False).status_code == 413


def test_unknown_methods_are_405(admin, image_url, make_image):
    image = make_image()
    response = admin.session.post(f"{image_url}/images/{image.id}", json={},
                                  headers=JSON_FAULTS, raise_exc=False)
    assert response.status_code == 405
