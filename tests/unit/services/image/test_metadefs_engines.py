"""Metadata definitions on SQLite, PostgreSQL and MariaDB: `nimbus up`'s preparation seeds
the standard namespaces, and the unique names and cascades hold on each engine."""

from __future__ import annotations

import pytest

from nimbus.kernel.runtime import Runtime
from nimbus.services.image.errors import MetadefDuplicate, NamespaceNotFound
from nimbus.services.image.schemas.metadefs import parse_namespace
from nimbus.services.image.service.metadefs import Metadefs, NamespaceQuery
from nimbus.services.image.service.records import Caller
from nimbus.setup import prepare
from tests.unit.kernel.test_db import database_url, engine_settings  # noqa: F401

pytestmark = pytest.mark.db
ADMIN = Caller("admin-project", is_admin=True)


def test_metadefs_on_every_engine(database_url, tmp_path):  # noqa: F811
    settings = engine_settings(tmp_path, database_url)
    settings.guest_image = str(tmp_path / "no-guest-image")
    prepare(settings)
    prepare(settings)  # a second start seeds nothing more
    runtime = Runtime(settings)
    try:
        metadefs = Metadefs(runtime.db)
        views, marker = metadefs.namespaces.list(
            ADMIN, NamespaceQuery(limit=10, sort_key="namespace", sort_dir="asc"),
            lambda ref: True)
        assert len(views) == 10 and views[0]["namespace"] == "CIM::ProcessorAllocationSettingData"
        rest, _ = metadefs.namespaces.list(
            ADMIN, NamespaceQuery(limit=100, marker=marker, sort_key="namespace",
                                  sort_dir="asc"), lambda ref: True)
        assert len(views) + len(rest) == 33
        metadefs.namespaces.create(ADMIN, parse_namespace({
            "namespace": "Nimbus::Engine", "tags": [{"name": "Mixed"}],
            "objects": [{"name": "o", "properties": {"p": {"type": "string", "title": "P"}}}],
            "resource_type_associations": [{"name": "OS::Nova::Flavor", "prefix": "e:"}]}))
        with pytest.raises(MetadefDuplicate):
            metadefs.tags.create(ADMIN, "Nimbus::Engine", "mixed")
        with pytest.raises(MetadefDuplicate):
            metadefs.namespaces.create(ADMIN, parse_namespace({"namespace": "Nimbus::Engine"}))
        shown = metadefs.namespaces.show(ADMIN, "Nimbus::Engine", "OS::Nova::Flavor")
        assert shown["objects"][0]["properties"] == {"e:p": {"type": "string", "title": "P"}}
        metadefs.namespaces.delete(ADMIN, "Nimbus::Engine")
        with pytest.raises(NamespaceNotFound):
            metadefs.namespaces.get(ADMIN, "Nimbus::Engine")
    finally:
        runtime.close()
