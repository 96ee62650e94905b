"""The image cache (v2.14) through the openstack CLI and openstacksdk: downloads fill it and
are served from it, PUT /v2/cache pre-caches, delete and clear empty it, corrupted files are
dropped, and only admins manage it."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
from openstack import exceptions as sdk_exc

from tests.conftest import LiveCloud

pytestmark = pytest.mark.usefixtures("json_faults")


def cache_of(conn: Any) -> dict[str, Any]:
    cache = conn.image.get_image_cache()
    return {"cached": {c.image_id: c for c in cache.cached_images},
            "queued": list(cache.queued_images)}


def cached_file(cloud: LiveCloud, image_id: str) -> Path:
    return Path(cloud.data_dir) / "image-cache" / image_id


def wait_cached(conn: Any, image_id: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = cache_of(conn)["cached"].get(image_id)
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"image {image_id} was not cached")


@pytest.fixture
def active_image(admin, make_image):
    data = os.urandom(300 * 1024 + 7)
    image = make_image(data=data)
    yield image, data
    admin.image.cache_delete_image(image.id)


def test_a_download_fills_the_cache_and_the_next_is_served_from_it(admin, active_image,
                                                                   cloud):
    image, data = active_image
    assert image.id not in cache_of(admin)["cached"]
    assert admin.image.download_image(image.id).content == data
    entry = wait_cached(admin, image.id)
    assert (entry.size, entry.hits) == (len(data), 0)
    assert entry.last_modified == pytest.approx(time.time(), abs=60)
    assert cached_file(cloud, image.id).read_bytes() == data

    again = admin.image.download_image(image.id)
    assert again.content == data
    assert again.headers["Content-MD5"] == hashlib.md5(data).hexdigest()
    entry = cache_of(admin)["cached"][image.id]
    assert entry.hits == 1 and entry.last_accessed >= entry.last_modified


def test_ranges_are_served_but_not_cached(admin, active_image):
    image, data = active_image
    part = admin.image.get(f"/images/{image.id}/file", headers={"Range": "bytes=10-19"})
    assert (part.status_code, part.content) == (206, data[10:20])
    assert image.id not in cache_of(admin)["cached"]


def test_cli_queue_list_delete_and_clear(cli, admin, active_image, make_image):
    image, data = active_image
    cli("cached", "image", "queue", image.id)
    wait_cached(admin, image.id)
    listed = {row["ID"]: row for row in cli("cached", "image", "list", "-f", "json")}
    assert listed[image.id]["State"] == "cached"
    assert listed[image.id]["Size"] == len(data)

    cli("cached", "image", "delete", image.id)
    assert image.id not in cache_of(admin)["cached"]

    other = make_image(data=os.urandom(1000))
    cli("cached", "image", "queue", image.id, other.id)
    wait_cached(admin, image.id)
    wait_cached(admin, other.id)
    cli("cached", "image", "clear", "--queue")
    assert {image.id, other.id} <= set(cache_of(admin)["cached"])
    cli("cached", "image", "clear", "--cache")
    assert not {image.id, other.id} & set(cache_of(admin)["cached"])
    assert admin.image.download_image(image.id).content == data


def test_sdk_queue_clear_and_delete(admin, active_image):
    image, data = active_image
    admin.image.queue_image(image.id)
    wait_cached(admin, image.id)
    admin.image.clear_cache("both")
    assert cache_of(admin) == {"cached": {}, "queued": []}
    admin.image.queue_image(image.id)
    wait_cached(admin, image.id)
    admin.image.cache_delete_image(image.id)
    assert image.id not in cache_of(admin)["cached"]


def test_deleting_the_image_empties_its_cache_entry(admin, make_image, cloud):
    image = make_image(data=os.urandom(4000))
    admin.image.queue_image(image.id)
    wait_cached(admin, image.id)
    admin.image.delete_image(image.id)
    assert image.id not in cache_of(admin)["cached"]
    assert not cached_file(cloud, image.id).exists()


def test_a_corrupted_cached_file_is_dropped_and_never_served_as_the_image(admin,
                                                                          active_image,
                                                                          cloud):
    image, data = active_image
    admin.image.queue_image(image.id)
    wait_cached(admin, image.id)
    path = cached_file(cloud, image.id)
    path.write_bytes(b"\0" * len(data))  # same size, other bytes: only the hash tells

    with pytest.raises(Exception) as failed:
        got = admin.image.download_image(image.id)
        assert got.content != data
    assert not isinstance(failed.value, AssertionError), "corrupt data served"
    assert image.id not in cache_of(admin)["cached"]
    assert not path.exists()
    assert admin.image.download_image(image.id).content == data


def test_a_truncated_cached_file_is_dropped_and_the_store_serves(admin, active_image, cloud):
    image, data = active_image
    admin.image.queue_image(image.id)
    wait_cached(admin, image.id)
    cached_file(cloud, image.id).write_bytes(data[:100])
    assert admin.image.download_image(image.id).content == data
    wait_cached(admin, image.id)  # filled again by that download
    assert cached_file(cloud, image.id).read_bytes() == data


def test_bad_requests_change_nothing(admin, make_image, active_image):
    image, _data = active_image
    with pytest.raises(sdk_exc.NotFoundException):
        admin.image.queue_image("non-existing-image-id")
    with pytest.raises(sdk_exc.NotFoundException):
        admin.image.queue_image("5f8e4a4c-0000-4000-8000-000000000000")
    queued = make_image()
    with pytest.raises(sdk_exc.BadRequestException) as refused:
        admin.image.queue_image(queued.id)
    assert "Only images with status active" in str(refused.value)
    admin.image.queue_image(image.id)
    wait_cached(admin, image.id)
    before = cache_of(admin)
    bad = admin.image.delete("/cache", headers={"x-image-cache-clear-target": "invalid"})
    assert bad.status_code == 400
    assert "x-image-cache-clear-target" in bad.json()["message"]
    assert bad.json()["code"] == "400 Bad Request"
    assert set(cache_of(admin)["cached"]) == set(before["cached"])
    gone = admin.image.delete("/cache/5f8e4a4c-0000-4000-8000-000000000000")
    assert gone.status_code == 404


@pytest.mark.parametrize("role", ["member", "reader"])
def test_only_admins_manage_the_cache(admin, project_user, make_image, active_image, role):
    image, _data = active_image
    user = project_user(role)
    own = make_image(conn=user.conn, data=os.urandom(2000)) if role == "member" else image
    admin.image.queue_image(image.id)
    wait_cached(admin, image.id)
    with pytest.raises(sdk_exc.ForbiddenException):
        user.conn.image.get_image_cache()
    if role == "member":
        with pytest.raises(sdk_exc.ForbiddenException):
            user.conn.image.queue_image(own.id)
    with pytest.raises(sdk_exc.NotFoundException):
        user.conn.image.queue_image(image.id)  # another project's private image
    with pytest.raises(sdk_exc.ForbiddenException):
        user.conn.image.clear_cache()
    refused = user.conn.image.delete(f"/cache/{image.id}")
    assert refused.status_code == 403
    state = cache_of(admin)
    assert image.id in state["cached"]
    if role == "member":
        assert own.id not in state["cached"] and own.id not in state["queued"]
