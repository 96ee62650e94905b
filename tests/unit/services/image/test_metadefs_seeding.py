"""The standard namespaces: their data, and seeding them once per cloud."""

from __future__ import annotations

import pytest

from nimbus.services.image.errors import NamespaceNotFound
from nimbus.services.image.metadefs import standard_namespaces, title_of
from nimbus.services.image.schemas.metadefs import parse_namespace
from nimbus.services.image.service.metadefs import Metadefs, NamespaceQuery
from nimbus.services.image.service.metadefs.seeding import seed_standard_namespaces
from nimbus.services.image.service.records import Caller

ADMIN = Caller("admin-project", is_admin=True)
PROJECT = Caller("project-a")


def everything(metadefs: Metadefs, caller: Caller = ADMIN) -> list[str]:
    views, _ = metadefs.namespaces.list(caller, NamespaceQuery(limit=1000), lambda ref: True)
    return sorted(v["namespace"] for v in views)


def test_every_standard_namespace_is_a_valid_create_body():
    names = [n["namespace"] for n in standard_namespaces()]
    assert len(names) == len(set(names)) == 33
    for entry in standard_namespaces():
        body = {k: v for k, v in entry.items() if v not in (None, [], {})}
        body["tags"] = [{"name": t} for t in entry["tags"]]
        body["objects"] = [{k: v for k, v in o.items() if v is not None}
                           for o in entry["objects"]]
        parsed = parse_namespace(body)
        assert parsed["namespace"] == entry["namespace"]


def test_titles_are_made_from_names():
    assert title_of("hw_video_ram") == "HW Video RAM"
    assert title_of("quota:cpu_period") == "Quota CPU Period"
    assert title_of("HostExtentName") == "Host Extent Name"


def test_seeding_happens_once_and_keeps_what_an_operator_changed(runtime):
    metadefs = Metadefs(runtime.db)
    first = seed_standard_namespaces(runtime.db)
    assert len(first) == 33 and everything(metadefs) == sorted(first)
    libvirt = metadefs.namespaces.show(ADMIN, "OS::Compute::Libvirt")
    assert libvirt["owner"] == "admin" and libvirt["protected"] is True
    assert libvirt["properties"]["serial_port_count"]["minimum"] == 0
    assert {a["prefix"] for a in libvirt["resource_type_associations"]} == {"hw_", "hw:"}

    metadefs.namespaces.update(ADMIN, "OS::Compute::Watchdog", {
        "namespace": "OS::Compute::Watchdog", "description": "ours", "visibility": "public",
        "protected": False, "owner": "admin"})
    metadefs.namespaces.delete(ADMIN, "OS::Compute::Watchdog")
    metadefs.namespaces.update(ADMIN, "OS::Compute::TPM", {
        "namespace": "OS::Compute::TPM", "description": "kept", "visibility": "public",
        "protected": True, "owner": "admin"})
    assert seed_standard_namespaces(runtime.db) == []
    with pytest.raises(NamespaceNotFound):
        metadefs.namespaces.get(ADMIN, "OS::Compute::Watchdog")
    assert metadefs.namespaces.show(ADMIN, "OS::Compute::TPM")["description"] == "kept"


def test_private_standard_namespaces_are_hidden_from_projects(runtime):
    seed_standard_namespaces(runtime.db)
    metadefs = Metadefs(runtime.db)
    seen = everything(metadefs, PROJECT)
    assert "OS::Compute::Libvirt" in seen
    assert "OS::Glance::CommonImageProperties" not in seen
    assert "OS::OperatingSystem" not in seen
    assert len(seen) == 31


def test_resource_types_come_from_the_associations(runtime):
    seed_standard_namespaces(runtime.db)
    names = [r["name"] for r in Metadefs(runtime.db).resource_types.list()]
    assert names == ["OS::Cinder::Volume", "OS::Glance::Image", "OS::Nova::Aggregate",
                     "OS::Nova::Flavor", "OS::Nova::Server", "OS::Trove::Instance"]
