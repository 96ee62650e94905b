"""An instance as its agent needs it (messages.GuestSpec): flavor, image and how to fetch
it, NICs, local block devices and the config drive, without the database."""

from __future__ import annotations

import base64
import json
from typing import Any

from nimbus.agents.compute import messages as m
from nimbus.kernel.context import RequestContext


def flavor_of(flavor: dict[str, Any]) -> m.Flavor:
    return m.Flavor(vcpus=int(flavor["vcpus"]), memory_mb=int(flavor["ram"]),
                    root_gb=int(flavor.get("disk") or 0),
                    ephemeral_gb=int(flavor.get("ephemeral") or 0),
                    swap_mb=int(flavor.get("swap") or 0), name=str(flavor.get("name", "")),
                    flavorid=str(flavor.get("id", "")),
                    extra_specs=dict(flavor.get("extra_specs") or {}))


def image_of(compute: Any, ctx: RequestContext, image_id: str, info: dict[str, Any]
             ) -> m.ImageRef:
    base = compute.runtime.settings.effective_public_url.rstrip("/")
    return m.ImageRef(id=image_id, disk_format=info.get("disk_format") or "qcow2",
                      size=info.get("size"), checksum=info.get("checksum"),
                      os_hash_algo=info.get("os_hash_algo"),
                      os_hash_value=info.get("os_hash_value"),
                      url=f"{base}/image/v2/images/{image_id}/file",
                      auth_token=ctx.token or "",
                      container_format=info.get("container_format") or "bare",
                      min_disk=int(info.get("min_disk") or 0),
                      properties=dict(info.get("properties") or {}))


def nics_of(ports: list[dict[str, Any]]) -> list[m.Nic]:
    return [m.Nic(port_id=p["id"], mac=p["mac_address"], network_id=p["network_id"],
                  mtu=int(p.get("mtu") or 1500)) for p in ports]


def block_devices_of(flavor: dict[str, Any], bdms: list[dict[str, Any]] | None = None
                     ) -> list[m.BlockDevice]:
    """The blank local disks of block_device_mapping_v2 when the boot named any (swap
    where guest_format says so, ephemeral otherwise), else the flavor's."""
    blank = [b for b in bdms or [] if b.get("source_type") == "blank"]
    if blank:
        return [m.BlockDevice(
            kind="swap" if b.get("guest_format") == "swap" else "ephemeral",
            size_mb=int(b.get("volume_size") or 0) * (1 if b.get("guest_format") == "swap"
                                                      else 1024),
            guest_format=b.get("guest_format"), device_name=b.get("device_name"),
            label="swap" if b.get("guest_format") == "swap" else f"ephemeral{i}")
            for i, b in enumerate(blank)]
    devices = []
    if flavor.get("ephemeral"):
        devices.append(m.BlockDevice(kind="ephemeral", size_mb=int(flavor["ephemeral"]) * 1024,
                                     guest_format="ext4", label="ephemeral0"))
    if flavor.get("swap"):
        devices.append(m.BlockDevice(kind="swap", size_mb=int(flavor["swap"]),
                                     guest_format="swap"))
    return devices


def config_drive_of(compute: Any, view: dict[str, Any], ports: list[dict[str, Any]]
                    ) -> m.ConfigDrive | None:
    """The config-2 files, when the boot asked for a drive (or every boot gets one):
    compute-metadata's ``config_drive_files`` through instance_data.py; in a tree without
    the metadata package, a minimal meta_data.json and user_data."""
    if not (view.get("config_drive") or compute.options.force_config_drive):
        return None
    files = compute.instance_data.config_drive(view, ports)
    if files is not None:
        return m.ConfigDrive(files=files)
    meta = {"uuid": view["id"], "name": view["display_name"], "hostname": view["hostname"],
            "availability_zone": view.get("availability_zone") or "nova",
            "project_id": view["project_id"], "launch_index": view["launch_index"],
            "meta": view.get("metadata") or {}}
    if view.get("key_name"):
        meta["public_keys"] = {view["key_name"]: view.get("key_data") or ""}
    files = {"openstack/latest/meta_data.json": json.dumps(meta)}
    if view.get("user_data"):
        files["openstack/latest/user_data"] = "base64:" + view["user_data"]
    return m.ConfigDrive(files=files)


def guest_spec(compute: Any, ctx: RequestContext, view: dict[str, Any],
               ports: list[dict[str, Any]]) -> m.GuestSpec:
    request = view.get("request") or {}
    return m.GuestSpec(uuid=view["id"], name=view["instance_name"], hostname=view["hostname"],
                       flavor=flavor_of(view["flavor"]),
                       image=image_of(compute, ctx, view["image_ref"],
                                      request.get("image") or {}),
                       project_id=view["project_id"], user_id=view["user_id"],
                       nics=nics_of(ports), config_drive=config_drive_of(compute, view, ports),
                       block_devices=block_devices_of(view["flavor"], view.get("bdms")),
                       qemu=m.QemuOptions(accel=compute.options.accelerator))


def encode_user_data(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
