"""The `openstack image metadef ...` commands against a live Nimbus, as an admin runs them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.conftest import unique

# What a stock Glance lists after `glance-manage db load_metadefs`, among others.
STANDARD = ("OS::Compute::HostCapabilities", "OS::Compute::Libvirt", "OS::Compute::LibvirtImage",
            "OS::Compute::Hypervisor", "OS::Compute::Watchdog", "OS::Compute::VirtCPUTopology",
            "OS::Compute::CPUPinning", "OS::Compute::GuestMemoryBacking",
            "OS::Compute::InstanceData", "OS::Compute::Quota",
            "OS::Compute::RandomNumberGenerator", "OS::Compute::TPM",
            "OS::Glance::CommonImageProperties", "OS::OperatingSystem", "OS::Software::DBMS",
            "OS::Software::Runtimes", "OS::Software::WebServers", "OS::Cinder::Volumetype",
            "CIM::ProcessorAllocationSettingData", "CIM::ResourceAllocationSettingData",
            "CIM::StorageAllocationSettingData", "CIM::VirtualSystemSettingData")


@pytest.fixture
def namespace(cli: Callable[..., Any]) -> Iterator[str]:
    name = unique("Nimbus::Cli")
    cli("image", "metadef", "namespace", "create", name, "--description", "cli test",
        "--display-name", "CLI test", "--public", "-f", "json")
    yield name
    cli("image", "metadef", "namespace", "set", name, "--unprotected", check=False)
    cli("image", "metadef", "namespace", "delete", name, check=False)


def test_namespace_list_shows_the_standard_namespaces(cli):
    listed = {row["namespace"] for row in cli("image", "metadef", "namespace", "list",
                                              "-f", "json")}
    assert set(STANDARD) <= listed
    by_type = {row["namespace"] for row in cli(
        "image", "metadef", "namespace", "list", "--resource-types", "OS::Nova::Flavor",
        "-f", "json")}
    assert "OS::Compute::Quota" in by_type and "OS::Glance::Signatures" not in by_type


def test_seeded_namespace_shows_its_properties_and_associations(cli):
    shown = cli("image", "metadef", "namespace", "show", "OS::Compute::Libvirt", "-f", "json")
    assert shown["protected"] is True and shown["visibility"] == "public"
    properties = cli("image", "metadef", "property", "list", "OS::Compute::Libvirt",
                     "-f", "json")
    names = {row["name"] for row in properties}
    assert {"serial_port_count", "boot_menu"} <= names
    associations = cli("image", "metadef", "resource", "type", "association", "list",
                       "OS::Compute::Libvirt", "-f", "json")
    prefixes = {row["Name"] if "Name" in row else row["name"]: row for row in associations}
    assert "OS::Glance::Image" in prefixes and "OS::Nova::Flavor" in prefixes


def test_namespace_create_show_set_and_delete(cli, namespace):
    shown = cli("image", "metadef", "namespace", "show", namespace, "-f", "json")
    assert shown["namespace"] == namespace and shown["display_name"] == "CLI test"
    assert shown["visibility"] == "public" and shown["protected"] is False
    cli("image", "metadef", "namespace", "set", namespace, "--private", "--protected",
        "--description", "changed", "--display-name", "CLI test")
    shown = cli("image", "metadef", "namespace", "show", namespace, "-f", "json")
    assert shown["visibility"] == "private" and shown["protected"] is True
    assert shown["description"] == "changed"
    refused = cli("image", "metadef", "namespace", "delete", namespace, check=False)
    assert refused.returncode != 0
    cli("image", "metadef", "namespace", "set", namespace, "--unprotected")
    cli("image", "metadef", "namespace", "delete", namespace)
    gone = cli("image", "metadef", "namespace", "show", namespace, check=False)
    said = (gone.stderr + gone.stdout).lower()
    assert gone.returncode != 0 and ("404" in said or "not found" in said)


def test_objects_create_list_show_update_and_delete(cli, namespace):
    cli("image", "metadef", "object", "create", "--namespace", namespace, "disk", "-f", "json")
    listed = cli("image", "metadef", "object", "list", namespace, "-f", "json")
    assert [row["name"] for row in listed] == ["disk"]
    shown = cli("image", "metadef", "object", "show", namespace, "disk", "-f", "json")
    assert shown["name"] == "disk"
    cli("image", "metadef", "object", "update", namespace, "disk", "--name", "volume")
    listed = cli("image", "metadef", "object", "list", namespace, "-f", "json")
    assert [row["name"] for row in listed] == ["volume"]
    cli("image", "metadef", "object", "delete", namespace, "volume")
    assert cli("image", "metadef", "object", "list", namespace, "-f", "json") == []


def test_object_property_show_reads_a_seeded_object(cli):
    shown = cli("image", "metadef", "object", "property", "show", "OS::Compute::Quota",
                "CPU Limits", "quota:cpu_period", "-f", "json")
    assert shown["type"] == "integer" and shown["minimum"] == 1000
    assert shown["maximum"] == 1000000


def test_properties_create_list_show_set_and_delete(cli, namespace):
    schema = json.dumps({"enum": ["virtio", "e1000"], "description": "the NIC model"})
    made = cli("image", "metadef", "property", "create", namespace, "--name", "nic",
               "--title", "NIC", "--type", "string", "--schema", schema, "-f", "json")
    assert made["name"] == "nic" and made["enum"] == ["virtio", "e1000"]
    shown = cli("image", "metadef", "property", "show", namespace, "nic", "-f", "json")
    assert shown["title"] == "NIC" and shown["description"] == "the NIC model"
    cli("image", "metadef", "property", "set", namespace, "nic", "--title", "Network card")
    shown = cli("image", "metadef", "property", "show", namespace, "nic", "-f", "json")
    assert shown["title"] == "Network card" and shown["type"] == "string"
    assert [row["name"] for row in cli("image", "metadef", "property", "list", namespace,
                                       "-f", "json")] == ["nic"]
    cli("image", "metadef", "property", "delete", namespace, "nic")
    assert cli("image", "metadef", "property", "list", namespace, "-f", "json") == []


def test_resource_types_and_associations(cli, namespace):
    types = {row["Name"] if "Name" in row else row["name"]
             for row in cli("image", "metadef", "resource", "type", "list", "-f", "json")}
    assert {"OS::Glance::Image", "OS::Nova::Flavor", "OS::Cinder::Volume"} <= types
    made = cli("image", "metadef", "resource", "type", "association", "create", namespace,
               "OS::Glance::Image", "--properties-target", "image", "-f", "json")
    assert made["name"] == "OS::Glance::Image" and made["properties_target"] == "image"
    listed = cli("image", "metadef", "resource", "type", "association", "list", namespace,
                 "-f", "json")
    assert [row.get("Name", row.get("name")) for row in listed] == ["OS::Glance::Image"]
    cli("image", "metadef", "resource", "type", "association", "delete", namespace,
        "OS::Glance::Image")
    assert cli("image", "metadef", "resource", "type", "association", "list", namespace,
               "-f", "json") == []
