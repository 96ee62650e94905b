"""What a start does with transfers that died: this node's dead ones are undone, transfers of
other nodes and of live processes, and images resting staged, are left alone."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import update

from nimbus.services.image.models import Image, ImageTransfer
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.schemas.image import NewImage
from nimbus.services.image.service import ImageService
from nimbus.services.image.service.reconcile import reconcile_transfers
from nimbus.services.image.service.records import Caller

OWNER = Caller("project-a", "user-a")


@pytest.fixture
def service(runtime):
    return ImageService(runtime, ImageOptions(), limits=lambda project, resource: None)


@pytest.fixture
def dead_pid():
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def stuck_image(service: ImageService, status: str, node: str | None, pid: int,
                staged: dict[str, object] | None = None) -> str:
    image_id = service.images.create(OWNER, NewImage(
        {"disk_format": "raw", "container_format": "bare"}, {})).id
    with service.db.session() as s:
        s.execute(update(Image).where(Image.id == image_id).values(status=status,
                                                                   staged=staged))
        if node is not None:
            s.add(ImageTransfer(image_id=image_id, status=status, node=node, pid=pid))
    return image_id


def status_of(service: ImageService, image_id: str) -> str:
    return service.images.get(OWNER, image_id).status


def test_this_nodes_dead_transfers_are_undone_with_their_partial_files(service, dead_pid):
    saving = stuck_image(service, "saving", service.node, dead_pid)
    importing = stuck_image(service, "importing", service.node, dead_pid)
    staging = stuck_image(service, "uploading", service.node, dead_pid)
    root = service.store.root  # type: ignore[attr-defined]
    root.mkdir(parents=True, exist_ok=True)
    (root / f".{saving}.abc.part").write_bytes(b"half")
    service.staging.root.mkdir(parents=True, exist_ok=True)
    (service.staging.root / importing).write_bytes(b"staged")
    assert sorted(reconcile_transfers(service)) == sorted([saving, importing, staging])
    assert {status_of(service, i) for i in (saving, importing, staging)} == {"queued"}
    assert list(root.glob(".*")) == [] and not (service.staging.root / importing).exists()
    with service.db.session() as s:
        assert s.query(ImageTransfer).count() == 0


def test_other_nodes_and_live_processes_keep_their_transfers(service, dead_pid):
    elsewhere = stuck_image(service, "saving", "other-host:/srv/nimbus", dead_pid)
    running = stuck_image(service, "saving", service.node, os.getppid())
    assert reconcile_transfers(service) == []
    assert status_of(service, elsewhere) == status_of(service, running) == "saving"


def test_a_staged_image_rests_but_one_left_without_a_record_is_undone(service):
    resting = stuck_image(service, "uploading", None, 0, staged={"size": 1})
    legacy = stuck_image(service, "saving", None, 0)
    assert reconcile_transfers(service) == [legacy]
    assert status_of(service, resting) == "uploading"
    assert status_of(service, legacy) == "queued"


def test_an_upload_records_its_transfer_until_it_ends(service):
    image_id = service.images.create(OWNER, NewImage(
        {"disk_format": "raw", "container_format": "bare"}, {})).id
    seen: list[tuple[str, int]] = []

    def chunks():
        with service.db.session() as s:
            row = s.get(ImageTransfer, image_id)
            assert row is not None
            seen.append((row.node, row.pid))
        yield b"data"

    service.data.upload(OWNER, image_id, chunks(), None)
    assert seen == [(service.node, os.getpid())]
    with service.db.session() as s:
        assert s.get(ImageTransfer, image_id) is None
    assert status_of(service, image_id) == "active"
