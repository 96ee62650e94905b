"""All of tempest 47's ``tempest.api.image`` against a live Nimbus with three file stores,
every import method Nimbus offers, web-download allowed only for a loopback web server
(tempest's ``http_image``), and the image cache on: no failure, and no skip but for the
reasons below, each outside what Nimbus is or has yet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf
from tests.tempest.packages import run_package
from tests.tempest.test_interop_image import CONTAINER_FORMATS, DISK_FORMATS
from tests.tempest.webroot import multistore_env, serving_a_disk

pytestmark = pytest.mark.tempest

# Skip reason (a fragment of tempest's own words) -> why it is outside Nimbus today.
OUTSIDE = {
    "Nova is not available": "compute is not built yet",
    "glance-download import method": "import from a Glance of another region: Nimbus has "
                                     "one region",
    "No image_remote service to test against": "a second image endpoint of another region",
    "Skipped until bug": "tempest itself skips it for a Glance bug",
    "http store is disabled": "Glance's read-only http store is not offered",
    "show_multiple_locations is not available": "the deprecated multiple-locations API "
                                                "(PATCH /locations) is not offered",
    "do_secure_hash is enabled": "written for clouds that do not hash added locations; "
                                 "Nimbus hashes them (its twin needs the http store)",
}


# Two runs. ListUserImagesTest uploads random bytes as its first six (container, disk)
# pairs, which only formats without a header can take (as the interop run knows); and
# StoreWeightTest needs store weights, under which tempest's own waiter for imports into
# several stores (it compares the stores field sorted by name) never sees them done, as
# against a Glance with weights. Every other test runs with qcow2 offered too, which the
# web-download test asks for, and without weights.
SECOND = (r"^tempest\.api\.image\.v2\.test_images\."
          r"(ListUserImagesTest|StoreWeightTest)\.")
WEIGHTS = {"NIMBUS_IMAGE__STORE_WEIGHTS": "cheap=100,local=50,fast=10"}


def image_conf(port: int, disk_formats: str, weights: bool
               ) -> Callable[[LiveCloud, Path], str]:
    disk = f"http://127.0.0.1:{port}/disk.qcow2"

    def tempest_conf(cloud: LiveCloud, workspace: Path) -> str:
        return base_conf(cloud, workspace, available={"keystone", "glance"}).replace(
            "\n[image]\n",
            "\n[image]\n"
            f"container_formats = {CONTAINER_FORMATS}\n"
            f"disk_formats = {disk_formats}\n"
            f"http_image = {disk}\n"
            f"http_qcow2_image = {disk}\n") + (
            "\n[image-feature-enabled]\n"
            "api_v2 = true\n"
            "import_image = true\n"
            "image_format_enforcement = false\n"
            f"store_weight_enabled = {str(weights).lower()}\n")
    return tempest_conf


@pytest.mark.timeout(2400)
def test_tempest_image_package(tmp_path: Path) -> None:
    with serving_a_disk(tmp_path / "web") as port:
        env = multistore_env(tmp_path, port)
        run = run_package(tmp_path / "all", r"^tempest\.api\.image\.",
                          image_conf(port, f"{DISK_FORMATS},qcow2", weights=False), env,
                          exclude=SECOND)
        run.add(run_package(tmp_path / "second", SECOND,
                            image_conf(port, DISK_FORMATS, weights=True), {**env, **WEIGHTS}))
    assert len(run.passed) > 60, run.summary
    assert not run.failed, run.summary
    assert not run.unexplained_skips(OUTSIDE), run.summary
