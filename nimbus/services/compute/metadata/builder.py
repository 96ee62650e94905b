"""What Nova's metadata serves an instance, per version directory, in both formats (the
OpenStack one under /openstack and the EC2 one at the root), and its config drive's files:
nova/api/metadata/base.py's InstanceMetadata, written from its behaviour.

``lookup(path)`` answers one path the way Nova does: a listing (list or dict), a value, or
``PASSWORD`` for the password endpoint (the API's handler reads and writes it); an unknown
path raises ``MetadataNotFound``. ``render`` turns an answer into Nova's text.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import posixpath
from dataclasses import dataclass
from typing import Any

from nimbus.services.compute.metadata.model import InstanceData
from nimbus.services.compute.metadata.netdata import ec2_addresses, network_data

EC2_VERSIONS = ["1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10",
                "2007-12-15", "2008-02-01", "2008-09-01", "2009-04-04"]
FOLSOM, GRIZZLY, HAVANA = "2012-08-10", "2013-04-04", "2013-10-17"
LIBERTY, NEWTON_ONE, NEWTON_TWO = "2015-10-15", "2016-06-30", "2016-10-06"
OCATA, ROCKY, VICTORIA, EPOXY = "2017-02-22", "2018-08-27", "2020-10-14", "2025-04-04"
OPENSTACK_VERSIONS = [FOLSOM, GRIZZLY, HAVANA, LIBERTY, NEWTON_ONE, NEWTON_TWO, OCATA, ROCKY,
                      VICTORIA, EPOXY]
# Nova's config_drive_skip_versions default: the drive has the newest EC2 version only.
CONFIG_DRIVE_EC2_VERSIONS = ["2009-04-04", "latest"]

TEXT = "text/plain"
JSON = "application/json"
MD_JSON, VD_JSON, VD2_JSON = "meta_data.json", "vendor_data.json", "vendor_data2.json"
NW_JSON, USER_DATA, PASSWORD_NAME = "network_data.json", "user_data", "password"
# The mapping Nova shows when an instance has no root device name.
_DEFAULT_MAPPINGS = {"ami": "sda1", "ephemeral0": "sda2", "root": "/dev/sda1", "swap": "sda3"}
_BUSES = ("pci", "usb", "scsi", "ide", "xen")


class MetadataNotFound(Exception):
    """No such path (or version) in the instance's metadata: Nova's 404."""


class PasswordEndpoint:
    """The answer for /openstack/<version>/password: the handler gets or sets it."""


PASSWORD = PasswordEndpoint()


@dataclass
class Found:
    data: Any
    mimetype: str = TEXT


def ec2_id(template: str, value: int) -> str:
    return template % value


def _image_ec2(prefix: str, number: int | None, uuid: str | None) -> str | None:
    if number is None and uuid:
        number = int(uuid.replace("-", "")[:8], 16)
    return None if number is None else f"{prefix}-{number:08x}"


def _at_least(required: str, requested: str, versions: list[str]) -> bool:
    return versions.index(requested) >= versions.index(required)


def openstack_version(version: str) -> str:
    if version == "latest":
        return OPENSTACK_VERSIONS[-1]
    if version not in OPENSTACK_VERSIONS:
        raise MetadataNotFound(version)
    return version


def listed_openstack_versions(today: datetime.date | None = None) -> list[str]:
    """The /openstack listing: versions dated in the future are hidden, as Nova does."""
    day = (today or datetime.datetime.now(datetime.UTC).date()).isoformat()
    return [v for v in OPENSTACK_VERSIONS if v <= day] + ["latest"]


class InstanceMetadata:
    """One instance's metadata. ``address`` is the guest's (X-Forwarded-For): EC2's
    local-ipv4 when the instance has no IPv4 fixed address. ``extra_md`` goes into
    meta_data.json as it is (the config drive's admin_pass); ``files`` are injected files
    (path, contents), listed in meta_data.json and served from /openstack/content/."""

    def __init__(self, instance: InstanceData, *, address: str | None = None,
                 dhcp_domain: str = "novalocal", extra_md: dict[str, Any] | None = None,
                 files: list[tuple[str, bytes]] | None = None) -> None:
        self.instance = instance
        self.address = address
        self.dhcp_domain = dhcp_domain
        self.extra_md = extra_md or {}
        self.content: dict[str, bytes] = {}
        self.files: list[dict[str, str]] = []
        for path, contents in files or []:
            key = f"{len(self.content):04d}"
            self.content[key] = contents
            self.files.append({"path": path, "content_path": f"/content/{key}"})

    # -- shared -------------------------------------------------------------------------
    @property
    def hostname(self) -> str:
        host = self.instance.hostname
        return f"{host}.{self.dhcp_domain}" if self.dhcp_domain else host

    @property
    def password(self) -> str | None:
        return self.instance.password or None

    # -- EC2 ----------------------------------------------------------------------------
    def ec2_metadata(self, version: str) -> dict[str, Any]:
        """{"meta-data": {...}, "user-data": bytes (when there is some)} of a version."""
        if version == "latest":
            version = EC2_VERSIONS[-1]
        if version not in EC2_VERSIONS:
            raise MetadataNotFound(version)
        inst = self.instance
        fixed, floating = ec2_addresses(inst.ports)
        meta: dict[str, Any] = {
            "ami-id": _image_ec2("ami", inst.image_ec2_id, inst.image_id),
            "ami-launch-index": inst.launch_index,
            "ami-manifest-path": "FIXME",
            "instance-id": ec2_id("i-%08x", inst.ec2_id),
            "hostname": self.hostname,
            "local-ipv4": (fixed[0] if fixed else "") or self.address,
            "reservation-id": inst.reservation_id,
            "security-groups": list(inst.security_groups),
        }
        if inst.keypairs:
            key = inst.keypairs[0]
            meta["public-keys"] = {"0": {"_name": f"0={key.name}",
                                         "openssh-key": key.public_key}}
        self._ec2_later_fields(meta, version, floating[0] if floating else "")
        data: dict[str, Any] = {"meta-data": meta}
        if inst.user_data is not None:
            data["user-data"] = inst.user_data
        return data

    def _ec2_later_fields(self, meta: dict[str, Any], version: str, floating: str) -> None:
        inst = self.instance

        def since(required: str) -> bool:
            return _at_least(required, version, EC2_VERSIONS)

        if since("2007-01-19"):
            meta.update({"local-hostname": self.hostname, "public-hostname": self.hostname,
                         "public-ipv4": floating})
        if since("2007-08-29"):
            meta["instance-type"] = inst.flavor_name
        if since("2007-12-15"):
            meta["block-device-mapping"] = self.block_device_mapping()
            for name, prefix, number in (("kernel-id", "aki", inst.kernel_ec2_id),
                                         ("ramdisk-id", "ari", inst.ramdisk_ec2_id)):
                if number is not None:
                    meta[name] = f"{prefix}-{number:08x}"
        if since("2008-02-01"):
            meta["placement"] = {"availability-zone": inst.availability_zone}
        if since("2008-09-01"):
            meta["instance-action"] = "none"

    def block_device_mapping(self) -> dict[str, str]:
        """nova/block_device.py's instance_block_mapping."""
        inst = self.instance
        if inst.root_device_name is None:
            return dict(_DEFAULT_MAPPINGS)
        mappings = {"ami": inst.root_device_name.removeprefix("/dev/"),
                    "root": inst.root_device_name}
        if inst.default_ephemeral_device:
            mappings["ephemeral0"] = inst.default_ephemeral_device
        if inst.default_swap_device:
            mappings["swap"] = inst.default_swap_device
        volumes = sorted(b.device_name for b in inst.block_devices
                         if b.destination_type == "volume")
        for number, device in enumerate(volumes):
            mappings[f"ebs{number}"] = device
        blanks = [b for b in inst.block_devices
                  if b.destination_type != "volume" and b.source_type == "blank"]
        swaps = [b for b in blanks if b.guest_format == "swap"]
        if swaps:
            mappings["swap"] = swaps[-1].device_name
        for number, eph in enumerate(b for b in blanks if b.guest_format != "swap"):
            mappings[f"ephemeral{number}"] = eph.device_name
        return mappings

    # -- OpenStack ----------------------------------------------------------------------
    def version_listing(self, version: str) -> list[str]:
        names = [MD_JSON]
        if self.instance.user_data is not None:
            names.append(USER_DATA)
        for required, name in ((GRIZZLY, PASSWORD_NAME), (HAVANA, VD_JSON),
                               (LIBERTY, NW_JSON), (NEWTON_TWO, VD2_JSON)):
            if _at_least(required, version, OPENSTACK_VERSIONS):
                names.append(name)
        return names

    def meta_data(self, version: str) -> dict[str, Any]:
        inst = self.instance
        doc: dict[str, Any] = {"uuid": inst.uuid}
        if inst.metadata:
            doc["meta"] = dict(inst.metadata)
        if self.files:
            doc["files"] = self.files
        doc.update(self.extra_md)
        if inst.keypairs:
            key = inst.keypairs[0]
            doc["public_keys"] = {key.name: key.public_key}
            doc["keys"] = [{"name": key.name, "type": key.type, "data": key.public_key}]
        doc.update(hostname=self.hostname, name=inst.name, launch_index=inst.launch_index,
                   availability_zone=inst.availability_zone)

        def since(required: str) -> bool:
            return _at_least(required, version, OPENSTACK_VERSIONS)

        if since(GRIZZLY):
            doc["random_seed"] = base64.b64encode(os.urandom(512)).decode()
        if since(LIBERTY):
            doc["project_id"] = inst.project_id
        if since(NEWTON_ONE):
            doc["devices"] = self.device_metadata(version)
        if since(VICTORIA):
            doc["dedicated_cpus"] = sorted(inst.dedicated_cpus)
        return doc

    def device_metadata(self, version: str) -> list[dict[str, Any]]:
        out = []
        for device in self.instance.devices:
            entry = self._device(device, version)
            if entry is not None:
                out.append(entry)
        return out

    def _device(self, device: Any, version: str) -> dict[str, Any] | None:
        if device.bus is not None and device.bus not in _BUSES:
            return None
        entry: dict[str, Any] = {}
        if device.type == "nic":
            if _at_least(OCATA, version, OPENSTACK_VERSIONS) and device.vlan is not None:
                entry["vlan"] = device.vlan
            if _at_least(ROCKY, version, OPENSTACK_VERSIONS):
                entry["vf_trusted"] = bool(device.vf_trusted)
            entry.update(type="nic", mac=device.mac)
            # A NIC with neither tags, a VLAN nor vf_trusted is not shown.
            if device.tags is None and "vlan" not in entry and "vf_trusted" not in entry:
                return None
        elif device.type == "disk":
            entry["type"] = "disk"
            if device.serial is not None:
                entry["serial"] = device.serial
            if device.path is not None:
                entry["path"] = device.path
        elif device.type == "share" and _at_least(EPOXY, version, OPENSTACK_VERSIONS):
            entry.update(type="share", share_id=device.share_id, tag=device.tag)
        else:
            return None
        entry["bus"] = device.bus or "none"
        entry["address"] = device.address if device.bus and device.address else "none"
        if device.tags is not None:
            entry["tags"] = list(device.tags)
        return entry

    def network_data(self) -> dict[str, Any]:
        return network_data(self.instance.ports) or {}

    def vendor_data2(self) -> dict[str, Any]:
        return {"static": dict(self.instance.vendor_data)}

    def openstack_item(self, tokens: list[str]) -> Found | PasswordEndpoint:
        if tokens[0] == "content":
            if len(tokens) != 2 or tokens[1] not in self.content:
                raise MetadataNotFound("/".join(tokens))
            return Found(self.content[tokens[1]])
        version = openstack_version(tokens[0])
        name = "/".join(tokens[1:])
        if not name:
            return Found(self.version_listing(version))
        since = {PASSWORD_NAME: GRIZZLY, VD_JSON: HAVANA, NW_JSON: LIBERTY,
                 VD2_JSON: NEWTON_TWO}.get(name, FOLSOM)
        if not _at_least(since, version, OPENSTACK_VERSIONS):
            raise MetadataNotFound(name)
        if name == MD_JSON:
            return Found(_json(self.meta_data(version)), JSON)
        if name == USER_DATA and self.instance.user_data is not None:
            return Found(self.instance.user_data)
        if name == PASSWORD_NAME:
            return PASSWORD
        if name == VD_JSON:
            return Found(_json(dict(self.instance.vendor_data)), JSON)
        if name == VD2_JSON:
            return Found(_json(self.vendor_data2()), JSON)
        if name == NW_JSON:
            # Nova serves this one as text/plain.
            return Found(_json(self.network_data()))
        raise MetadataNotFound(name)

    # -- one path -----------------------------------------------------------------------
    def lookup(self, path: str, today: datetime.date | None = None
               ) -> Found | PasswordEndpoint:
        """The answer for ``path`` (under the metadata root), as Nova's lookup()."""
        path = posixpath.normpath("/" + path.lstrip("/"))
        tokens = path.split("/")[1:]
        if tokens[0] not in ("ec2", "openstack"):
            tokens = ["ec2"] if tokens[0] == "" else ["ec2", *tokens]
        if len(tokens) == 1:
            if tokens[0] == "openstack":
                return Found(listed_openstack_versions(today))
            return Found([*EC2_VERSIONS, "latest"])
        if tokens[0] == "openstack":
            return self.openstack_item(tokens[1:])
        return Found(find_path_in_tree(self.ec2_metadata(tokens[1]), tokens[2:]))


def find_path_in_tree(data: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if not isinstance(data, dict) or token not in data:
            raise MetadataNotFound(token)
        data = data[token]
    return data


def _json(doc: Any) -> bytes:
    # oslo's jsonutils.dump_as_bytes: json.dumps with its default separators.
    return json.dumps(doc).encode()


def render(data: Any) -> bytes:
    """Nova's ec2_md_print: a dict lists its keys (sub-trees with a slash, or their
    ``_name``), a list its items one a line; values as text."""
    if isinstance(data, dict):
        lines = []
        for key in sorted(data):
            if key == "_name":
                continue
            value = data[key]
            if isinstance(value, dict):
                lines.append(str(value["_name"]) if "_name" in value else f"{key}/")
            else:
                lines.append(key)
        return "\n".join(lines).encode()
    if isinstance(data, list):
        return "\n".join(str(item) for item in data).encode()
    if isinstance(data, bytes):
        return data
    return str(data).encode()
