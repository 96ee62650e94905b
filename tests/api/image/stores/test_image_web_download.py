"""web-download: the cloud fetches image data from a loopback web server its allow-list
names; URLs, redirects and data it must refuse; driven by the openstack CLI and
openstacksdk."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.image.conftest import JSON_FAULTS
from tests.api.image.stores.conftest import holders, settled_tasks

OPENSTACK = str(Path(sys.executable).parent / "openstack")


def cli_json(env, *args):
    proc = subprocess.run([OPENSTACK, *args, "-f", "json"], env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def tasks_of(conn, cloud, image_id):
    return conn.session.get(f"{cloud.url}/image/v2/images/{image_id}/tasks").json()["tasks"]


def web_import(conn, cloud, image_id, uri, **body):
    """POST .../import for web-download; once accepted, waits for the import's outcome."""
    before = len(tasks_of(conn, cloud, image_id))
    response = conn.session.post(f"{cloud.url}/image/v2/images/{image_id}/import",
                                 json={"method": {"name": "web-download", "uri": uri}, **body},
                                 headers=JSON_FAULTS, raise_exc=False)
    if response.status_code == 202:
        settled_tasks(conn, cloud, image_id, before + 1)
    return response


def test_cli_imports_from_a_url(sadmin, scli_env, store_cloud, web, make_disk,
                                make_store_image):
    disk = make_disk("qcow2", "16M")
    web.files["/cli.qcow2"] = disk
    image = make_store_image(disk_format="qcow2")
    subprocess.run([OPENSTACK, "image", "import", image.id, "--method", "web-download",
                    "--uri", web.url("/cli.qcow2")], env=scli_env, check=True,
                   capture_output=True, timeout=120)
    settled_tasks(sadmin, store_cloud, image.id)
    shown = sadmin.image.get_image(image.id)
    assert (shown.status, shown.size, shown.virtual_size) == ("active", len(disk), 16 << 20)
    assert shown.checksum == hashlib.md5(disk).hexdigest()
    assert shown.properties["stores"] == "local"
    assert holders(store_cloud, image.id) == ["local"]
    assert sadmin.image.download_image(image.id).content == disk
    [task] = tasks_of(sadmin, store_cloud, image.id)
    listed = cli_json(scli_env, "image", "task", "list")
    assert task["id"] in [t["ID"] for t in listed]
    shown_task = cli_json(scli_env, "image", "task", "show", task["id"])
    assert shown_task["status"] == "success"
    assert shown_task["input"]["import_req"]["method"]["uri"] == web.url("/cli.qcow2")


def test_sdk_imports_from_a_url_into_stores(sadmin, store_cloud, web, make_store_image):
    data = os.urandom(300_000)
    web.files["/plain.raw"] = data
    image = make_store_image(disk_format="raw")
    sadmin.image.import_image(image, method="web-download", uri=web.url("/plain.raw"),
                              stores=["fast", "cheap"])
    settled_tasks(sadmin, store_cloud, image.id)
    shown = sadmin.image.get_image(image.id)
    assert (shown.status, shown.properties["stores"]) == ("active", "cheap,fast")
    assert shown.hash_value == hashlib.sha512(data).hexdigest()
    assert holders(store_cloud, image.id) == ["cheap", "fast"]


def test_a_redirect_within_the_allow_list_is_followed(sadmin, store_cloud, web,
                                                      make_store_image):
    web.files["/target.raw"] = b"redirected" * 100
    web.redirects["/hop.raw"] = web.url("/target.raw")
    image = make_store_image()
    assert web_import(sadmin, store_cloud, image.id, web.url("/hop.raw")).status_code == 202
    assert sadmin.image.download_image(image.id).content == b"redirected" * 100


@pytest.mark.parametrize("which", ["host", "port", "scheme", "none"])
def test_urls_off_the_allow_list_are_refused(sadmin, store_cloud, web, make_store_image,
                                             which):
    web.files["/ok.raw"] = b"data"
    uri = {"host": web.url("/ok.raw", host="localhost"),
           "port": f"http://127.0.0.1:{web.port + 1}/ok.raw",
           "scheme": f"ftp://127.0.0.1:{web.port}/ok.raw",
           "none": None}[which]
    image = make_store_image()
    refused = web_import(sadmin, store_cloud, image.id, uri)
    assert refused.status_code == 400
    assert refused.json()["message"] == f"URI for web-download does not pass filtering: {uri}"
    assert sadmin.image.get_image(image.id).status == "queued"
    assert tasks_of(sadmin, store_cloud, image.id) == []


def test_a_redirect_off_the_allow_list_fails_the_import(sadmin, store_cloud, web,
                                                        make_store_image):
    web.redirects["/away.raw"] = web.url("/ok.raw", host="localhost")
    image = make_store_image()
    assert web_import(sadmin, store_cloud, image.id, web.url("/away.raw")).status_code == 202
    [task] = tasks_of(sadmin, store_cloud, image.id)
    assert task["status"] == "failure"
    assert task["message"] == f"Redirect to disallowed URL: {web.url('/ok.raw', 'localhost')}"
    shown = sadmin.image.get_image(image.id)
    assert (shown.status, shown.size) == ("queued", None)
    assert shown.properties["os_glance_failed_import"] == "local"
    assert "os_glance_import_task" not in shown.properties
    assert holders(store_cloud, image.id) == []


def test_data_that_is_not_its_disk_format_is_refused(sadmin, store_cloud, web, make_disk,
                                                     make_store_image):
    web.files["/fake.qcow2"] = b"not a qcow2 at all" * 1000
    image = make_store_image(disk_format="qcow2")
    assert web_import(sadmin, store_cloud, image.id, web.url("/fake.qcow2"),
                      stores=["fast", "cheap"]).status_code == 202
    [task] = tasks_of(sadmin, store_cloud, image.id)
    assert task["status"] == "failure" and "does not match" in task["message"]
    assert sadmin.image.get_image(image.id).status == "queued"
    assert holders(store_cloud, image.id) == []
    # The image takes a later import of data that is what it says it is.
    web.files["/real.qcow2"] = make_disk("qcow2", "1M")
    assert web_import(sadmin, store_cloud, image.id, web.url("/real.qcow2")).status_code \
        == 202
    assert sadmin.image.get_image(image.id).status == "active"


def test_missing_data_and_oversized_data_fail_the_import(sadmin, store_cloud, web,
                                                         make_store_image):
    image = make_store_image()
    assert web_import(sadmin, store_cloud, image.id, web.url("/nothing")).status_code == 202
    [task] = tasks_of(sadmin, store_cloud, image.id)
    assert (task["status"], task["message"]) == (
        "failure", f"Fetching {web.url('/nothing')} returned HTTP 404")
    web.files["/huge.raw"] = b"\0" * (9 << 20)
    assert web_import(sadmin, store_cloud, image.id, web.url("/huge.raw")).status_code == 202
    task = tasks_of(sadmin, store_cloud, image.id)[-1]
    assert task["status"] == "failure" and "larger" in task["message"]
    assert sadmin.image.get_image(image.id).status == "queued"
    assert holders(store_cloud, image.id) == []


def test_web_download_needs_a_queued_image(sadmin, store_cloud, web, make_store_image):
    web.files["/ok.raw"] = b"data"
    image = make_store_image(data=b"already")
    refused = web_import(sadmin, store_cloud, image.id, web.url("/ok.raw"))
    assert refused.status_code == 409
    assert refused.json()["message"] == "Image with status active cannot be target for import"
