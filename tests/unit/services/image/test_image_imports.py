"""Imports into several stores in-process: a store that fails, with and without
all_stores_must_succeed, copies, and the import lock."""

from __future__ import annotations

import datetime as dt

import pytest

from nimbus.config import Settings
from nimbus.kernel.db import utcnow
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.image.errors import Conflict
from nimbus.services.image.models import ImageTask
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.schemas.image import NewImage
from nimbus.services.image.service import ImageService, progress
from nimbus.services.image.service.records import Caller

OWNER = Caller("project-a", "user-a", is_admin=True)


@pytest.fixture
def service(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)
    options = ImageOptions(stores="fast=fast,cheap=cheap",
                           import_methods=("glance-direct", "copy-image"))
    yield ImageService(runtime, options, limits=lambda project, resource: None)
    runtime.close()


def break_store(service: ImageService, store_id: str) -> None:
    def refuse(*args, **kwargs):
        raise OSError(5, "Input/output error")

    store = service.stores.get(store_id)
    store.add = refuse  # type: ignore[method-assign]
    store.take = refuse  # type: ignore[method-assign]


def staged_image(service: ImageService) -> str:
    image_id = service.images.create(OWNER, NewImage(
        {"disk_format": "raw", "container_format": "bare", "name": "x"}, {})).id
    service.data.stage(OWNER, image_id, [b"data" * 100], None)
    return image_id


def on_disk(service: ImageService, image_id: str) -> list[str]:
    return sorted(i for i, entry in service.stores.entries.items()
                  if (entry.directory / image_id).exists())


def state(service: ImageService, image_id: str):
    service.imports.drain(timeout=30)
    record = service.images.get(OWNER, image_id)
    [task] = service.tasks.of_image(OWNER, image_id)[-1:]
    return record, task


def test_a_failing_store_undoes_the_whole_import(service):
    break_store(service, "cheap")
    image_id = staged_image(service)
    service.imports.start(OWNER, image_id, {"method": {"name": "glance-direct"},
                                            "stores": ["fast", "cheap"]}, None)
    record, task = state(service, image_id)
    assert (record.status, record.store, task.status) == ("queued", None, "failure")
    assert "Input/output error" in task.message
    assert record.properties[progress.FAILED] == "cheap"
    assert record.properties[progress.IMPORTING] == ""
    assert progress.LOCK not in record.properties
    assert on_disk(service, image_id) == []
    assert not (service.staging.root / image_id).exists()


def test_stores_may_fail_when_the_request_allows_it(service):
    break_store(service, "cheap")
    image_id = staged_image(service)
    service.imports.start(OWNER, image_id, {"method": {"name": "glance-direct"},
                                            "all_stores": True,
                                            "all_stores_must_succeed": False}, None)
    record, task = state(service, image_id)
    assert (record.status, record.store, task.status) == ("active", "fast,local", "success")
    assert record.properties[progress.FAILED] == "cheap"
    assert on_disk(service, image_id) == ["fast", "local"]


def test_copies_keep_the_image_active_whatever_fails(service):
    image_id = staged_image(service)
    service.imports.start(OWNER, image_id, {"method": {"name": "glance-direct"}}, None)
    break_store(service, "cheap")
    service.imports.start(OWNER, image_id, {"method": {"name": "copy-image"},
                                            "stores": ["fast", "cheap"]}, None)
    record, task = state(service, image_id)
    assert (record.status, record.store, task.status) == ("active", "local", "failure")
    assert on_disk(service, image_id) == ["local"]
    service.imports.start(OWNER, image_id, {"method": {"name": "copy-image"},
                                            "all_stores": True,
                                            "all_stores_must_succeed": False}, None)
    record, task = state(service, image_id)
    assert (record.store, task.status) == ("fast,local", "success")
    assert record.properties[progress.FAILED] == "cheap"


def test_the_import_lock(service):
    image_id = staged_image(service)
    with service.db.session() as s:
        s.add(ImageTask(id="t-old", image_id=image_id, type="api_image_import",
                        status="processing", input={}, message="",
                        created_at=utcnow(), updated_at=utcnow()))
        progress.set_property(s, image_id, progress.LOCK, "t-old")
    with pytest.raises(Conflict, match="Image has active task"):
        service.imports.start(OWNER, image_id, {"method": {"name": "glance-direct"}}, None)
    with service.db.session() as s:
        s.get(ImageTask, "t-old").updated_at = utcnow() - dt.timedelta(minutes=61)
    service.imports.start(OWNER, image_id, {"method": {"name": "glance-direct"}}, None)
    record, _task = state(service, image_id)
    assert record.status == "active" and progress.LOCK not in record.properties
