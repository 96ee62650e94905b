"""Tempest 47's image cache test (``[image] image_caching_enabled``) against a live Nimbus."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tempest.harness import run_interop
from tests.tempest.test_interop_image import tempest_conf

pytestmark = pytest.mark.tempest

CACHE_TESTS = [
    "tempest.api.image.v2.admin.test_image_caching.ImageCachingTest.test_image_caching_cycle"
    "[id-4bf6adba-2f9f-47e9-a6d5-37f21ad4387c]",
]


@pytest.mark.timeout(900)
def test_tempest_image_caching(tmp_path: Path) -> None:
    listing = tmp_path / "image-caching.txt"
    listing.write_text("\n".join(CACHE_TESTS) + "\n")
    run = run_interop(tmp_path, "image caching", listing, tempest_conf)
    assert run.groups["passed"] == CACHE_TESTS, run.summary
