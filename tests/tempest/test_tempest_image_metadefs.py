"""Tempest 47's image metadata definition tests (tempest.api.image.v2.admin.
test_images_metadefs_*) against a live Nimbus: namespaces, objects, properties, tags and
resource type associations, as an admin."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tempest.harness import run_interop
from tests.tempest.test_interop_image import tempest_conf

pytestmark = pytest.mark.tempest

PACKAGE = "tempest.api.image.v2.admin"
TESTS = [
    "test_images_metadefs_namespace_objects.MetadataNamespaceObjectsTest."
    "test_create_update_delete_meta_namespace_objects[id-b1a3775e-3b5c-4f6a-a3b4-1ba3574ae718]",
    "test_images_metadefs_namespace_objects.MetadataNamespaceObjectsTest."
    "test_list_meta_namespace_objects[id-a2a3615e-3b5c-3f6a-a2b1-1ba3574ae738]",
    "test_images_metadefs_namespace_objects.MetadataNamespaceObjectsTest."
    "test_show_meta_namespace_objects[id-b1a3674e-3b4c-3f6a-a3b4-1ba3573ca768]",
    "test_images_metadefs_namespace_properties.MetadataNamespacePropertiesTest."
    "test_basic_meta_def_namespace_property[id-b1a3765e-3a5d-4f6d-a3a7-3ca3476ae768]",
    "test_images_metadefs_namespace_tags.MetadataNamespaceTagsTest."
    "test_create_list_delete_namespace_tags[id-a2a3765e-3a6d-4f6d-a3a7-3cc3476aa876]",
    "test_images_metadefs_namespace_tags.MetadataNamespaceTagsTest."
    "test_create_update_delete_tag[id-a2a3765e-1a2c-3f6d-a3a7-3cc3466ab875]",
    "test_images_metadefs_namespaces.MetadataNamespacesTest."
    "test_basic_metadata_definition_namespaces[id-319b765e-7f3d-4b3d-8b37-3ca3876ee768]",
    "test_images_metadefs_resource_types.MetadataResourceTypesTest."
    "test_basic_meta_def_resource_type_association[id-6f358a4e-5ef0-11e6-a795-080027d0d606]",
]


@pytest.mark.timeout(900)
def test_tempest_image_metadefs(tmp_path: Path) -> None:
    listing = tmp_path / "metadefs.txt"
    listing.write_text("".join(f"{PACKAGE}.{test}\n" for test in TESTS))
    run = run_interop(tmp_path, "image metadefs", listing, tempest_conf)
    assert len(run.groups["passed"]) == len(TESTS), run.summary
