"""Tempest 47's image tests of the interop guideline 2022.11, against a live Nimbus.

Nimbus refuses image data that does not match its disk_format (require_format_match, on by
default, as here), and tempest's listing tests upload random bytes as the first six
(container, disk) pairs of [image] container_formats x disk_formats. So tempest is told the
truth - image_format_enforcement = true would make it skip them - and the format lists start
with the formats whose content no one can verify (raw, ami, ari, aki; bare, ami), which
accept any bytes in Glance as in Nimbus. The formats the listed tests name themselves (raw,
bare) are in the lists; the negative ones send made-up names, which no list affects.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf, load_list, run_interop

pytestmark = pytest.mark.tempest

LOAD_LIST = load_list("image.txt")
# First the formats any bytes are valid as: ListUserImagesTest uploads random data as the
# first 6 pairs (bare x raw/ami/ari/aki, ami x raw/ami).
CONTAINER_FORMATS = "bare,ami,ari,aki,ovf,ova"
DISK_FORMATS = "raw,ami,ari,aki"


def tempest_conf(cloud: LiveCloud, workspace: Path) -> str:
    """Identity plus the image service (Glance v2 with interoperable import)."""
    return base_conf(cloud, workspace, available={"keystone", "glance"}) + (
        "\n[image]\n"
        f"container_formats = {CONTAINER_FORMATS}\n"
        f"disk_formats = {DISK_FORMATS}\n"
        "\n[image-feature-enabled]\n"
        "api_v2 = true\n"
        "import_image = true\n"
        "image_format_enforcement = false\n")


@pytest.mark.timeout(1500)
def test_tempest_image_interop(tmp_path: Path) -> None:
    run = run_interop(tmp_path, "image", LOAD_LIST, tempest_conf)
    assert len(run.expected) == 23, f"{LOAD_LIST} lists {len(run.expected)} tests, not 23"
    assert len(run.groups["passed"]) == len(run.expected), run.summary
