"""Tempest 47's interoperable-import, multi-store, copy-image and task tests against a live
Nimbus with three file stores, every import method it offers, and web-download allowed for
a loopback web server that serves tempest's http_image / http_qcow2_image.

Expected skips, each for a reason of the test itself: the glance-download tests (Nimbus
offers no glance-download: it has no second region), test_remote_import/_delete (no
alternate image endpoint: every Nimbus API process serves every image) and
test_image_tasks_create (tempest skips it for Glance bug 2030527).
"""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import LiveCloud, free_port, start_cloud
from tests.tempest.harness import (
    base_conf,
    classify,
    report,
    run_tempest,
    tempest_results,
    tempest_venv,
)

pytestmark = pytest.mark.tempest

PREFIX = "tempest.api.image.v2."
TESTS = [
    "test_images.ImportImagesTest.test_image_glance_direct_import"
    "[id-32ca0c20-e16f-44ac-8590-07869c9b4cc2]",
    "test_images.ImportImagesTest.test_image_web_download_import"
    "[id-f6feb7a4-b04f-4706-a011-206129f83e62]",
    "test_images.ImportImagesTest.test_image_glance_download_import_success"
    "[id-8876c818-c40e-4b90-9742-31d231616305]",
    "test_images.ImportImagesTest.test_image_glance_download_import_bad_uuid"
    "[id-36d4b546-64a2-4bb9-bdd0-ba676aa48f2c,negative]",
    "test_images.ImportImagesTest.test_image_glance_download_import_bad_endpoint"
    "[id-77644240-dbbe-4744-ae28-09b2ac12e218,negative]",
    "test_images.ImportImagesTest.test_image_glance_download_import_bad_missing_image"
    "[id-c7edec8e-24b5-416a-9d42-b3e773bab62c,negative]",
    "test_images.ImportImagesTest.test_remote_import[id-e04761a1-22af-42c2-b8bc-a34a3f12b585]",
    "test_images.ImportImagesTest.test_remote_delete[id-44d60544-1524-42f7-8899-315301105dd8]",
    "test_images.MultiStoresImportImagesTest.test_glance_direct_import_image_to_all_stores"
    "[id-bf04ff00-3182-47cb-833a-f1c6767b47fd]",
    "test_images.MultiStoresImportImagesTest.test_glance_direct_import_image_to_specific_stores"
    "[id-82fb131a-dd2b-11ea-aec7-340286b6c574]",
    "admin.test_images.ImportCopyImagesTest.test_image_copy_image_import"
    "[id-9b3b644e-03d1-11eb-a036-fa163e2eaf49]",
    "admin.test_images.MultiStoresImagesTest.test_delete_image_from_specific_store"
    "[id-1ecec683-41d4-4470-a0df-54969ec74514]",
    "admin.test_image_task.ImageTaskCreate.test_image_tasks_create"
    "[id-669d5387-0340-4abf-b62d-7cc89f539c8c]",
    "admin.test_image_task.ImageTaskCreate.test_task_create_fake_image_location"
    "[id-ad6450c6-7060-4ee7-a2d1-41c2604b446c,negative]",
]
EXPECTED_SKIPS = {"test_image_glance_download_import_success",
                  "test_image_glance_download_import_bad_uuid",
                  "test_image_glance_download_import_bad_endpoint",
                  "test_image_glance_download_import_bad_missing_image",
                  "test_remote_import", "test_remote_delete", "test_image_tasks_create"}


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_root(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A loopback web server of a folder holding a small qcow2 disk."""
    root = tmp_path / "web"
    root.mkdir()
    qemu_img = shutil.which("qemu-img")
    if qemu_img is None:
        pytest.skip("qemu-img is not installed")
    subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", str(root / "disk.qcow2"), "16M"],
                   check=True)
    port = free_port()
    handler = partial(QuietFiles, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, port
    server.shutdown()
    server.server_close()


def multistore_env(data_parent: Path, port: int) -> dict[str, str]:
    return {"NIMBUS_IMAGE__STORES": f"fast={data_parent / 'fast'},cheap={data_parent / 'cheap'}",
            "NIMBUS_IMAGE__IMPORT_METHODS": "glance-direct,web-download,copy-image",
            "NIMBUS_IMAGE__WEB_DOWNLOAD_ALLOWED_HOSTS": "127.0.0.1",
            "NIMBUS_IMAGE__WEB_DOWNLOAD_ALLOWED_PORTS": str(port)}


def tempest_conf(cloud: LiveCloud, workspace: Path, port: int) -> str:
    disk = f"http://127.0.0.1:{port}/disk.qcow2"
    return base_conf(cloud, workspace, available={"keystone", "glance"}) + (
        "\n[image]\n"
        "container_formats = bare,ovf\n"
        "disk_formats = raw,qcow2\n"
        f"http_image = {disk}\n"
        f"http_qcow2_image = {disk}\n"
        "\n[image-feature-enabled]\n"
        "api_v2 = true\n"
        "import_image = true\n")


@pytest.mark.timeout(1500)
def test_tempest_image_import_stores_and_tasks(tmp_path: Path, web_root: tuple[Path, int]
                                               ) -> None:
    venv = tempest_venv()
    _root, port = web_root
    expected = [PREFIX + name for name in TESTS]
    listing = tmp_path / "import-tests.txt"
    listing.write_text("\n".join(expected) + "\n")
    cloud = start_cloud(tmp_path / "data", extra_env=multistore_env(tmp_path, port))
    workspace = tmp_path / "tempest"
    (workspace / "etc").mkdir(parents=True)
    (workspace / "logs").mkdir()
    try:
        (workspace / "etc" / "tempest.conf").write_text(tempest_conf(cloud, workspace, port))
        printed = run_tempest(venv, workspace, listing)
        results = tempest_results(venv, workspace)
    finally:
        cloud.stop()
    groups = classify(expected, results)
    summary = report("image import/stores/tasks", groups, results, printed)
    print(summary.splitlines()[0])
    skipped = {test.split("[")[0].rsplit(".", 1)[-1] for test in groups["skipped"]}
    assert not groups["failed"] and not groups["not run"], summary
    assert skipped == EXPECTED_SKIPS, summary
    assert len(groups["passed"]) == len(TESTS) - len(EXPECTED_SKIPS), summary
