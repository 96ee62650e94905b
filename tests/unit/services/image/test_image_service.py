"""The image service in-process on SQLite: uploads that stop half way, caps, quotas, paging."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nimbus.config import Settings
from nimbus.kernel.db import utcnow
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import ClientDisconnected
from nimbus.services.image.errors import ImageGone, OverLimit
from nimbus.services.image.models import Image
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.schemas.image import NewImage
from nimbus.services.image.service import ImageService
from nimbus.services.image.service.listing import ListQuery
from nimbus.services.image.service.records import Caller

OWNER = Caller("project-a", "user-a")
LIMITS: dict[str, int] = {}


@pytest.fixture
def runtime(tmp_path):
    LIMITS.clear()
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)
    yield runtime
    runtime.close()


def make_service(runtime: Runtime, options: ImageOptions) -> ImageService:
    return ImageService(runtime, options, limits=lambda project, resource: LIMITS.get(resource))


@pytest.fixture
def service(runtime):
    return make_service(runtime, ImageOptions(image_size_cap=10_000))


def files(service: ImageService) -> list[str]:
    root = Path(service.runtime.settings.data_dir) / "images"
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def new_image(service: ImageService, name: str = "img", **core) -> str:
    core = {"disk_format": "raw", "container_format": "bare", "name": name, **core}
    return service.images.create(OWNER, NewImage(core, {})).id


def test_client_leaving_mid_upload_leaves_a_queued_image_and_no_file(service):
    image_id = new_image(service)

    def leaving():
        yield b"x" * 3000
        raise ClientDisconnected()

    with pytest.raises(ClientDisconnected):
        service.data.upload(OWNER, image_id, leaving(), None)
    image = service.images.get(OWNER, image_id)
    assert (image.status, image.size, image.location) == ("queued", None, None)
    assert files(service) == []
    service.data.upload(OWNER, image_id, [b"y" * 100], 100)
    assert service.images.get(OWNER, image_id).status == "active"


def test_size_cap(service):
    image_id = new_image(service)
    with pytest.raises(OverLimit):
        service.data.upload(OWNER, image_id, (b"z" * 1000 for _ in range(11)), None)
    assert service.images.get(OWNER, image_id).status == "queued" and files(service) == []

    def unread():
        raise AssertionError("a declared size over the cap is refused before reading")
        yield b""

    with pytest.raises(OverLimit):
        service.data.upload(OWNER, image_id, unread(), 20_000)


def test_image_deleted_during_upload(service):
    image_id = new_image(service)

    def deleting():
        yield b"a" * 100
        service.images.delete(OWNER, image_id)
        yield b"b" * 100

    with pytest.raises(ImageGone):
        service.data.upload(OWNER, image_id, deleting(), None)
    assert files(service) == []


def test_staging_then_deleting(service):
    image_id = new_image(service)
    service.data.stage(OWNER, image_id, [b"s" * 500], 500)
    image = service.images.get(OWNER, image_id)
    assert (image.status, image.size) == ("uploading", 500)
    assert files(service) == [image_id]
    service.images.delete(OWNER, image_id)
    assert files(service) == []


def test_quota_on_image_count(service):
    LIMITS["image_count_total"] = 1
    new_image(service)
    with pytest.raises(OverLimit):
        new_image(service)
    assert service.usage(OWNER)["image_count_total"] == {"limit": 1, "usage": 1}


def test_stream_quota_counts_bytes_already_stored(runtime):
    LIMITS["image_size_total"] = 0  # Glance counts whole MiB: less than 1 MiB in all
    service = make_service(runtime, ImageOptions())
    first = new_image(service)
    service.data.upload(OWNER, first, [b"q" * 6000], None)
    second = new_image(service)
    with pytest.raises(OverLimit):
        service.data.upload(OWNER, second, [b"q" * 65536] * 16, None)
    assert files(service) == [first]
    service.data.upload(OWNER, second, [b"q" * (1024 * 1024 - 6001)], None)


def test_paging_through_equal_sort_values_visits_every_image(service):
    made = [new_image(service, name="same") for _ in range(7)]
    with service.db.session() as s:  # equal timestamps too
        for row in s.query(Image):
            row.created_at = dt.datetime(2024, 1, 1)
    seen: list[str] = []
    marker = None
    while True:
        page, marker = service.list_images(OWNER, ListQuery(
            limit=3, marker=marker, sort_keys=["name"], sort_dirs=["asc"]))
        seen += [i.id for i in page]
        if marker is None:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 7


def test_other_projects_see_nothing_private(service):
    image_id = new_image(service, visibility="private")
    stranger = Caller("project-b")
    page, _ = service.list_images(stranger, ListQuery())
    assert image_id not in [i.id for i in page]
    admin = Caller("project-c", is_admin=True)
    page, _ = service.list_images(admin, ListQuery())
    assert image_id in [i.id for i in page]
    assert utcnow() - service.images.get(admin, image_id).created_at < dt.timedelta(60)
