"""Image locations (v2.17) through openstacksdk: a service points a queued image at data in
the store, the data is checked against the validation data, and only services and admins
add or read locations."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from openstack import exceptions as sdk_exc

from tests.api.conftest import connection_for, password_session
from tests.api.image.conftest import stored_files
from tests.conftest import LiveCloud

pytestmark = pytest.mark.usefixtures("json_faults")


@pytest.fixture
def store_file(cloud: LiveCloud):
    """Data a service left in the image store: (file:// URL, bytes)."""
    made: list[Path] = []

    def make(data: bytes | None = None) -> tuple[str, bytes]:
        data = os.urandom(64 * 1024 + 3) if data is None else data
        path = Path(cloud.data_dir) / "images" / f"svc-{uuid.uuid4().hex}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        made.append(path)
        return path.as_uri(), data

    yield make
    for path in made:
        path.unlink(missing_ok=True)


def wait_task(conn: Any, image_id: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = conn.image.get(f"/images/{image_id}/tasks").json()["tasks"]
        if tasks and tasks[-1]["status"] in ("success", "failure"):
            return dict(tasks[-1])
        time.sleep(0.1)
    raise AssertionError(f"the location task of image {image_id} did not end")


def raw_image(conn: Any, image_id: str) -> dict[str, Any]:
    return dict(conn.image.get(f"/images/{image_id}").json())


def test_admin_adds_a_location_with_matching_validation_data(admin, make_image, store_file):
    url, data = store_file()
    image = make_image()
    digest = hashlib.sha256(data).hexdigest()
    admin.image.add_image_location(image.id, url, validation_data={
        "os_hash_algo": "sha256", "os_hash_value": digest})
    task = wait_task(admin, image.id)
    assert (task["type"], task["status"]) == ("location_import", "success")
    shown = admin.image.get_image(image.id)
    assert (shown.status, shown.size) == ("active", len(data))
    assert (shown.hash_algo, shown.hash_value) == ("sha256", digest)
    assert shown.checksum == hashlib.md5(data).hexdigest()
    assert admin.image.download_image(image.id).content == data
    locations = list(admin.image.image_locations(image.id))
    assert [(loc.url, loc.metadata) for loc in locations] == [(url, {"store": "local"})]
    assert "locations" not in raw_image(admin, image.id)  # show_multiple_locations off


def test_without_validation_data_the_data_is_hashed_with_sha512(admin, make_image,
                                                                store_file):
    url, data = store_file()
    image = make_image()
    admin.image.add_image_location(image.id, url)
    assert wait_task(admin, image.id)["status"] == "success"
    shown = admin.image.get_image(image.id)
    assert (shown.status, shown.hash_algo) == ("active", "sha512")
    assert shown.hash_value == hashlib.sha512(data).hexdigest()


def test_a_wrong_hash_fails_the_task_and_leaves_the_image_queued(admin, make_image,
                                                                 store_file):
    url, _data = store_file()
    image = make_image()
    admin.image.add_image_location(image.id, url, validation_data={
        "os_hash_algo": "sha512", "os_hash_value": "beefdead" * 16})
    task = wait_task(admin, image.id)
    assert task["status"] == "failure" and "not matched" in task["message"]
    shown = admin.image.get_image(image.id)
    assert shown.status == "queued"
    assert (shown.checksum, shown.hash_algo, shown.hash_value, shown.size) == \
        (None, None, None, None)
    assert list(admin.image.image_locations(image.id)) == []
    assert Path(url[len("file://"):]).exists()  # the service's data stays where it was


def test_data_that_is_not_its_disk_format_fails_the_task(admin, make_image, store_file):
    url, _data = store_file(b"not a qcow2 image" * 100)
    image = make_image(disk_format="qcow2")
    admin.image.add_image_location(image.id, url)
    task = wait_task(admin, image.id)
    assert task["status"] == "failure"
    assert admin.image.get_image(image.id).status == "queued"


BAD_BODIES = [
    ({"url": "file:///etc/passwd"}, "not a file of the store"),
    ({"url": "http://example.com/cirros.img"}, "unknown scheme"),
    ({"url": "rbd://pool/image"}, "unknown scheme"),
    ({}, "'url' is a required property"),
    ({"url": 5}, "is not of type 'string'"),
    ({"url": "{store}", "validation_data": {"os_hash_value": "ab" * 64}}, "os_hash_algo"),
    ({"url": "{store}", "validation_data": {"os_hash_algo": "sha123",
                                            "os_hash_value": "ab" * 64}}, "sha123"),
    ({"url": "{store}", "validation_data": {"os_hash_algo": "sha512",
                                            "os_hash_value": "ab" * 32}}, "correct size"),
    ({"url": "{store}", "validation_data": {"os_hash_algo": "md5",
                                            "os_hash_value": "zz" * 16}}, "hexadecimal"),
    ({"url": "{store}", "validation_data": {"checksum": "0" * 32}}, "checksum"),
    ({"url": "{store}/../../nimbus.db"}, "not a file of the store"),
    ({"url": "{images}/5f8e4a4c-0000-4000-8000-000000000000"}, "no such file"),
]


@pytest.mark.parametrize("body, why", BAD_BODIES)
def test_bad_input_is_a_400_and_changes_nothing(admin, make_image, store_file, cloud,
                                                body, why):
    url, _data = store_file()
    image = make_image()
    before = raw_image(admin, image.id)
    files = stored_files(cloud)
    if isinstance(body.get("url"), str):
        body = {**body, "url": body["url"].replace("{store}", url).replace(
            "{images}", (Path(cloud.data_dir) / "images").as_uri())}
    answer = admin.image.post(f"/images/{image.id}/locations", json=body)
    assert answer.status_code == 400, answer.text
    assert why in answer.json()["message"]
    assert answer.json()["code"] == "400 Bad Request"
    assert raw_image(admin, image.id) == before
    assert stored_files(cloud) == files
    assert admin.image.get(f"/images/{image.id}/tasks").json()["tasks"] == []


def test_only_a_queued_image_takes_a_location(admin, make_image, store_file):
    url, _data = store_file()
    image = make_image(data=os.urandom(100))
    with pytest.raises(sdk_exc.ConflictException) as refused:
        admin.image.add_image_location(image.id, url)
    assert "not allowed to add locations if image status is active" in str(refused.value)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.image.add_image_location(str(uuid.uuid4()), url)


def test_data_another_image_holds_is_refused(admin, make_image, store_file, cloud):
    url, _data = store_file()
    first, second = make_image(), make_image()
    admin.image.add_image_location(first.id, url)
    assert wait_task(admin, first.id)["status"] == "success"
    with pytest.raises(sdk_exc.ConflictException):
        admin.image.add_image_location(second.id, url)
    uploaded = make_image(data=os.urandom(100))
    with pytest.raises(sdk_exc.BadRequestException) as refused:
        admin.image.add_image_location(
            second.id, (Path(cloud.data_dir) / "images" / uploaded.id).as_uri())
    assert "the data of another image" in str(refused.value)
    assert admin.image.get_image(second.id).status == "queued"


def test_locations_are_hidden_from_image_patches(admin, make_image, store_file, image_url):
    url, _data = store_file()
    image = make_image()
    answer = admin.image.patch(
        f"/images/{image.id}", json=[{"op": "add", "path": "/locations/-",
                                      "value": {"url": url, "metadata": {}}}],
        headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
    assert answer.status_code == 403
    assert admin.image.get_image(image.id).status == "queued"


@pytest.fixture
def service_role(admin):
    found = admin.identity.find_role("service")
    return found or admin.identity.create_role(name="service")


def test_rbac_members_and_readers_may_not_add_or_read_locations(admin, project_user,
                                                               make_image, store_file,
                                                               cloud):
    url, _data = store_file()
    member, reader, other = project_user("member"), project_user("reader"), \
        project_user("member")
    admin.identity.assign_project_role_to_user(
        member.project, reader.user, admin.identity.find_role("reader"))
    reader_conn = connection_for(password_session(
        cloud, reader.user.name, reader.cli_env["OS_PASSWORD"], project_id=member.project.id))
    image = make_image(conn=member.conn)
    with pytest.raises(sdk_exc.ForbiddenException) as refused:
        member.conn.image.add_image_location(image.id, url)
    assert "http store must be enabled" in str(refused.value)
    with pytest.raises(sdk_exc.ForbiddenException):
        reader_conn.image.add_image_location(image.id, url)
    with pytest.raises(sdk_exc.ForbiddenException):
        list(reader_conn.image.image_locations(image.id))
    with pytest.raises(sdk_exc.NotFoundException):
        other.conn.image.add_image_location(image.id, url)
    with pytest.raises(sdk_exc.ForbiddenException):
        list(member.conn.image.image_locations(image.id))
    assert member.conn.image.get_image(image.id).status == "queued"
    assert member.conn.image.get(f"/images/{image.id}/tasks").json()["tasks"] == []


def test_rbac_the_service_role_adds_and_reads_locations(admin, project_user, make_image,
                                                       store_file, service_role):
    url, data = store_file()
    user = project_user("member")
    admin.identity.assign_project_role_to_user(user.project, user.user, service_role)
    user.session.invalidate()
    image = make_image(conn=user.conn)
    user.conn.image.add_image_location(image.id, url)
    assert wait_task(user.conn, image.id)["status"] == "success"
    assert user.conn.image.download_image(image.id).content == data
    assert [loc.url for loc in user.conn.image.image_locations(image.id)] == [url]
