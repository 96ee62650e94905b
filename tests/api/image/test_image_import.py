"""Interoperable image import (glance-direct): discovery, stage, import, tasks."""

from __future__ import annotations

import hashlib

import pytest
from keystoneauth1 import exceptions as ks_exc

from tests.api.image.conftest import stored_files


def test_import_discovery(admin, image_url):
    methods = admin.image.get_import_info()
    assert methods.import_methods["value"] == ["glance-direct", "copy-image"]
    stores = list(admin.image.stores())
    assert [(s.id, s.is_default) for s in stores] == [("local", True)]
    detail = admin.session.get(f"{image_url}/info/stores/detail").json()["stores"]
    assert detail[0]["type"] == "file"


def test_stage_then_import(admin, make_image, make_disk, image_url, cloud):
    data = make_disk("qcow2", "32M")
    image = make_image(disk_format="qcow2")
    admin.image.stage_image(image, data=data)
    staged = admin.image.get_image(image.id)
    assert (staged.status, staged.size, staged.checksum) == ("uploading", len(data), None)
    assert [f for f in stored_files(cloud) if image.id in f] == [f"staging/{image.id}"]
    response = admin.image.import_image(image, method="glance-direct")
    assert response.status_code == 202
    shown = admin.image.get_image(image.id)
    assert (shown.status, shown.size, shown.virtual_size) == ("active", len(data), 32 << 20)
    assert shown.hash_value == hashlib.sha512(data).hexdigest()
    assert shown.properties["stores"] == "local"
    assert [f for f in stored_files(cloud) if image.id in f] == [image.id]
    tasks = admin.session.get(f"{image_url}/images/{image.id}/tasks").json()["tasks"]
    assert [t["status"] for t in tasks] == ["success"]
    assert tasks[0]["request_id"] == response.headers["x-openstack-request-id"]
    assert tasks[0]["input"]["import_req"]["method"]["name"] == "glance-direct"
    assert admin.image.download_image(image.id).content == data


def test_cli_create_with_import(image_cli, tmp_path, make_disk, admin):
    path = tmp_path / "disk.vmdk"
    path.write_bytes(make_disk("vmdk", "12M"))
    made = image_cli("image", "create", "--import", "--file", str(path), "--disk-format",
                     "vmdk", "--container-format", "bare", "imported", "-f", "json")
    try:
        shown = admin.image.get_image(made["id"])
        assert (shown.status, shown.virtual_size) == ("active", 12 << 20)
    finally:
        image_cli("image", "delete", made["id"])


def test_import_of_mismatched_data_fails_its_task(admin, make_image, image_url, cloud):
    image = make_image(disk_format="vhdx")
    admin.image.stage_image(image, data=b"not a vhdx at all" * 100)
    response = admin.image.import_image(image, method="glance-direct")
    assert response.status_code == 202
    shown = admin.image.get_image(image.id)
    assert (shown.status, shown.size) == ("queued", None)
    task = admin.session.get(f"{image_url}/images/{image.id}/tasks").json()["tasks"][0]
    assert task["status"] == "failure" and "does not match" in task["message"]
    assert not [f for f in stored_files(cloud) if image.id in f]


@pytest.mark.parametrize("body,status", [
    ({"method": {"name": "web-download", "uri": "http://169.254.169.254/latest"}}, 400),
    ({"method": {"name": "glance-download", "glance_image_id": "x"}}, 400),
    ({"method": {"name": "copy-image"}}, 409),
    ({"method": {}}, 400),
    ({}, 400),
    ({"method": {"name": "glance-direct"}, "all_stores": "yes"}, 400),
    ({"method": {"name": "glance-direct"}, "stores": ["elsewhere"]}, 409),
    ({"method": {"name": "glance-direct"}}, 409),
])
def test_bad_imports(admin, make_image, image_url, body, status):
    image = make_image()
    response = admin.session.post(f"{image_url}/images/{image.id}/import", json=body,
                                  raise_exc=False)
    assert response.status_code == status, response.text
    assert admin.image.get_image(image.id).status == "queued"


def test_stage_needs_a_queued_image(admin, make_image, image_url):
    image = make_image(data=b"active already")
    with pytest.raises(ks_exc.Conflict):
        admin.session.put(f"{image_url}/images/{image.id}/stage", data=b"more",
                          headers={"Content-Type": "application/octet-stream"})
    queued = make_image()
    admin.image.stage_image(queued, data=b"staged")
    with pytest.raises(ks_exc.Conflict):
        admin.session.put(f"{image_url}/images/{queued.id}/stage", data=b"again",
                          headers={"Content-Type": "application/octet-stream"})


def test_deleting_a_staged_image_removes_the_staged_data(admin, make_image, cloud):
    image = make_image()
    admin.image.stage_image(image, data=b"x" * 4096)
    assert [f for f in stored_files(cloud) if image.id in f]
    admin.image.delete_image(image)
    assert not [f for f in stored_files(cloud) if image.id in f]
