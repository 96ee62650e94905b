"""Several stores: discovery, uploads and imports into named stores, copy-image, removal from
one store; openstacksdk, the openstack CLI and python-glanceclient against a live cloud."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import glanceclient
import pytest
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc

from tests.api.image.conftest import JSON_FAULTS
from tests.api.image.stores.conftest import holders, settled_tasks, store_dirs

OPENSTACK = str(Path(sys.executable).parent / "openstack")


def cli(env, *args):
    proc = subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def image_api(cloud) -> str:
    return f"{cloud.url}/image/v2"


def test_stores_are_listed(sadmin, scli_env, store_cloud, store_user):
    stores = list(sadmin.image.stores())
    assert [(s.id, bool(s.is_default)) for s in stores] == [
        ("local", True), ("fast", False), ("cheap", False)]
    listed = cli(scli_env, "image", "stores", "list", "-f", "value", "-c", "ID")
    assert listed.split() == ["local", "fast", "cheap"]
    detail = sadmin.session.get(f"{image_api(store_cloud)}/info/stores/detail").json()
    assert {s["id"]: s["type"] for s in detail["stores"]} == {
        "local": "file", "fast": "file", "cheap": "file"}
    assert detail["stores"][2]["properties"]["datadir"] == str(store_cloud.data_dir / "cheap")
    member = store_user("member")
    with pytest.raises(ks_exc.Forbidden):
        member.session.get(f"{image_api(store_cloud)}/info/stores/detail")
    made = sadmin.session.post(f"{image_api(store_cloud)}/images",
                               json={"name": "hdr", "disk_format": "raw",
                                     "container_format": "bare"})
    assert made.headers["OpenStack-image-store-ids"] == "local,fast,cheap"
    assert made.headers["OpenStack-image-import-methods"] == \
        "glance-direct,web-download,copy-image"
    sadmin.image.delete_image(made.json()["id"])


def test_glanceclient_uploads_to_the_store_it_names(sadmin, store_cloud, make_store_image):
    glance = glanceclient.Client("2", session=sadmin.session)
    image = make_store_image()
    glance.images.upload(image.id, io.BytesIO(b"fast data" * 100), backend="fast")
    shown = glance.images.get(image.id)
    assert (shown["status"], shown["stores"]) == ("active", "fast")
    assert holders(store_cloud, image.id) == ["fast"]
    assert b"".join(glance.images.data(image.id)) == b"fast data" * 100


def test_upload_to_an_unknown_store_is_refused(sadmin, store_cloud, make_store_image):
    glance = glanceclient.Client("2", session=sadmin.session)
    image = make_store_image()
    with pytest.raises(glance_exc.HTTPBadRequest) as refused:
        glance.images.upload(image.id, io.BytesIO(b"x" * 10), backend="nowhere")
    # webob escapes the quotes of HTML faults, and glanceclient shows them so.
    assert "Unknown scheme &#x27;nowhere&#x27; found in URI" in str(refused.value)
    assert sadmin.image.get_image(image.id).status == "queued"
    assert holders(store_cloud, image.id) == []


def test_glance_direct_into_several_stores(sadmin, store_cloud, make_store_image):
    data = b"several" * 1000
    image = make_store_image()
    sadmin.image.stage_image(image, data=data)
    sadmin.image.import_image(image, method="glance-direct", stores=["fast", "cheap"])
    shown = sadmin.image.get_image(image.id)
    assert (shown.status, shown.properties["stores"]) == ("active", "cheap,fast")
    assert shown.properties["os_glance_importing_to_stores"] == ""
    assert shown.properties["os_glance_failed_import"] == ""
    assert "os_glance_import_task" not in shown.properties
    assert holders(store_cloud, image.id) == ["cheap", "fast"]
    assert shown.hash_value == hashlib.sha512(data).hexdigest()
    [task] = sadmin.session.get(
        f"{image_api(store_cloud)}/images/{image.id}/tasks").json()["tasks"]
    assert task["input"]["backend"] == ["fast", "cheap"]
    assert task["status"] == "success"


def test_glanceclient_imports_to_all_stores(sadmin, store_cloud, make_store_image):
    glance = glanceclient.Client("2", session=sadmin.session)
    image = make_store_image()
    glance.images.stage(image.id, io.BytesIO(b"everywhere" * 64))
    glance.images.image_import(image.id, method="glance-direct", all_stores=True)
    shown = glance.images.get(image.id)
    assert (shown["status"], shown["stores"]) == ("active", "cheap,fast,local")
    assert holders(store_cloud, image.id) == ["cheap", "fast", "local"]


@pytest.mark.parametrize("body,headers,status,message", [
    ({"stores": ["fast", "nowhere"]}, {}, 409, "Unknown scheme 'nowhere' found in URI"),
    ({}, {"X-Image-Meta-Store": "nowhere"}, 409, "Unknown scheme 'nowhere'"),
    ({"stores": ["fast"]}, {"X-Image-Meta-Store": "fast"}, 400,
     "Stores parameter and x-image-meta-store header can't be both specified"),
    ({"all_stores": True, "stores": ["fast"]}, {}, 400, "All_stores parameter can't be used"),
])
def test_bad_store_choices_change_nothing(sadmin, store_cloud, make_store_image, body,
                                          headers, status, message):
    image = make_store_image()
    sadmin.image.stage_image(image, data=b"staged" * 10)
    response = sadmin.session.post(
        f"{image_api(store_cloud)}/images/{image.id}/import",
        json={"method": {"name": "glance-direct"}, **body}, headers={**headers, **JSON_FAULTS},
        raise_exc=False)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]
    shown = sadmin.image.get_image(image.id)
    assert shown.status == "uploading"
    assert "os_glance_import_task" not in shown.properties
    assert holders(store_cloud, image.id) == ["staging"]


def test_import_header_picks_the_store(sadmin, store_cloud, make_store_image):
    glance = glanceclient.Client("2", session=sadmin.session)
    image = make_store_image()
    glance.images.stage(image.id, io.BytesIO(b"header" * 64))
    glance.images.image_import(image.id, method="glance-direct", backend="cheap")
    assert glance.images.get(image.id)["stores"] == "cheap"
    assert holders(store_cloud, image.id) == ["cheap"]


def test_cli_copies_an_image_into_more_stores(sadmin, scli_env, store_cloud,
                                              make_store_image):
    data = b"copy me" * 4096
    image = make_store_image(data=data)
    assert sadmin.image.get_image(image.id).properties["stores"] == "local"
    cli(scli_env, "image", "import", image.id, "--method", "copy-image",
        "--store", "fast", "cheap")
    settled_tasks(sadmin, store_cloud, image.id)
    shown = sadmin.image.get_image(image.id)
    assert (shown.status, shown.properties["stores"]) == ("active", "cheap,fast,local")
    assert shown.properties["os_glance_importing_to_stores"] == ""
    assert holders(store_cloud, image.id) == ["cheap", "fast", "local"]
    for store in ("cheap", "fast"):
        assert (store_dirs(store_cloud)[store] / image.id).read_bytes() == data
    again = sadmin.session.post(f"{image_api(store_cloud)}/images/{image.id}/import",
                                json={"method": {"name": "copy-image"}, "stores": ["fast"]},
                                headers=JSON_FAULTS, raise_exc=False)
    assert again.status_code == 400
    assert again.json()["message"] == "Image is already present at store 'fast'"


def test_copy_to_all_stores_skips_those_that_have_it(sadmin, store_cloud, make_store_image):
    image = make_store_image(data=b"abc" * 100)
    sadmin.image.import_image(image, method="copy-image", all_stores=True,
                              all_stores_must_succeed=False)
    [task] = settled_tasks(sadmin, store_cloud, image.id)
    assert sadmin.image.get_image(image.id).properties["stores"] == "cheap,fast,local"
    assert task["input"]["backend"] == ["fast", "cheap"]
    response = sadmin.image.import_image(image, method="copy-image", all_stores=True)
    assert response.status_code == 202
    tasks = sadmin.session.get(f"{image_api(store_cloud)}/images/{image.id}/tasks").json()
    assert len(tasks["tasks"]) == 1


def test_copy_image_needs_an_admin(sadmin, store_cloud, store_user, make_store_image):
    member = store_user("member")
    image = make_store_image(conn=member.conn, data=b"mine" * 10)
    response = member.session.post(f"{image_api(store_cloud)}/images/{image.id}/import",
                                   json={"method": {"name": "copy-image"},
                                         "stores": ["fast"]}, raise_exc=False)
    assert response.status_code == 403
    assert sadmin.image.get_image(image.id).properties["stores"] == "local"
    queued = make_store_image()
    response = sadmin.session.post(f"{image_api(store_cloud)}/images/{queued.id}/import",
                                   json={"method": {"name": "copy-image"},
                                         "stores": ["fast"]}, headers=JSON_FAULTS,
                                   raise_exc=False)
    assert response.status_code == 409
    assert "Only images with status active" in response.json()["message"]


def test_delete_from_one_store(sadmin, store_cloud, store_user, make_store_image):
    glance = glanceclient.Client("2", session=sadmin.session)
    image = make_store_image()
    glance.images.stage(image.id, io.BytesIO(b"twice" * 64))
    glance.images.image_import(image.id, method="glance-direct", stores=["local", "fast"],
                               allow_failure=False)
    member = store_user("member")
    with pytest.raises(ks_exc.NotFound):
        member.session.delete(f"{image_api(store_cloud)}/stores/fast/{image.id}")
    with pytest.raises(glance_exc.HTTPNotFound):
        glance.images.delete_from_store("cheap", image.id)
    glance.images.delete_from_store("fast", image.id)
    assert glance.images.get(image.id)["stores"] == "local"
    assert holders(store_cloud, image.id) == ["local"]
    with pytest.raises(glance_exc.HTTPForbidden):
        glance.images.delete_from_store("local", image.id)
    with pytest.raises(glance_exc.HTTPConflict):
        glance.images.delete_from_store("nowhere", image.id)
    assert b"".join(glance.images.data(image.id)) == b"twice" * 64


def test_deleting_an_image_removes_it_from_every_store(sadmin, store_cloud,
                                                       make_store_image):
    image = make_store_image()
    sadmin.image.stage_image(image, data=b"gone" * 100)
    sadmin.image.import_image(image, method="glance-direct", all_stores=True)
    assert holders(store_cloud, image.id) == ["cheap", "fast", "local"]
    sadmin.image.delete_image(image)
    assert holders(store_cloud, image.id) == []


def test_members_import_into_stores_but_only_admins_remove_a_copy(sadmin, store_cloud,
                                                                  store_user,
                                                                  make_store_image):
    member = store_user("member")
    image = make_store_image(conn=member.conn)
    member.conn.image.stage_image(image, data=b"ours" * 64)
    member.conn.image.import_image(image, method="glance-direct", stores=["fast", "cheap"])
    assert member.conn.image.get_image(image.id).properties["stores"] == "cheap,fast"
    with pytest.raises(ks_exc.Forbidden):
        member.session.delete(f"{image_api(store_cloud)}/stores/fast/{image.id}")
    assert holders(store_cloud, image.id) == ["cheap", "fast"]
    reader = store_user("reader")
    with pytest.raises(ks_exc.NotFound):
        reader.session.delete(f"{image_api(store_cloud)}/stores/fast/{image.id}")
    sadmin.session.delete(f"{image_api(store_cloud)}/stores/fast/{image.id}")
    assert holders(store_cloud, image.id) == ["cheap"]
