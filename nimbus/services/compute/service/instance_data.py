"""The servers side of the metadata service (compute-metadata's hook): an instance as the
metadata API and the config drive see it (``metadata.InstanceData``), built from the
instance row and its ports in Networking; the password a guest posts is kept on the row.

The metadata package is imported lazily: a tree without it boots servers with a minimal
config drive (guest_spec.py)."""

from __future__ import annotations

import base64
import logging
from typing import Any

from sqlalchemy import select

from nimbus.kernel.db import utcnow
from nimbus.services.compute.models.servers import BlockDeviceMapping, Instance
from nimbus.services.compute.service.networking import service_context

log = logging.getLogger("nimbus.compute.instance_data")


class InstanceDataSource:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db

    def register(self) -> None:
        from nimbus.services.compute.metadata import register_instance_source

        register_instance_source(self.compute.runtime, self.lookup, self.save_password)

    def lookup(self, instance_id: str) -> Any:
        with self.db.session() as s:
            row = s.get(Instance, instance_id)
            if row is None or row.deleted:
                return None
            view = self.compute.servers.views(s, [row], addresses=False)[0]
            bdms = list(s.scalars(select(BlockDeviceMapping).where(
                BlockDeviceMapping.instance_id == row.id)))
        return self.build(view, self.compute.networking.ports_of([instance_id]), bdms)

    def save_password(self, instance_id: str, password: str) -> None:
        with self.db.session() as s:
            row = s.get(Instance, instance_id)
            if row is not None:
                row.password = password
                row.updated_at = utcnow()

    def build(self, view: dict[str, Any], ports: list[dict[str, Any]],
              bdms: list[BlockDeviceMapping] | None = None) -> Any:
        from nimbus.services.compute.metadata import (
            BlockDevice,
            InstanceData,
            KeyPair,
            port_info,
        )

        request = view.get("request") or {}
        keys = [KeyPair(view["key_name"], view.get("key_data") or "")] \
            if view.get("key_name") else []
        user_data = base64.b64decode(view["user_data"]) if view.get("user_data") else None
        return InstanceData(
            uuid=view["id"], name=view["display_name"], hostname=view["hostname"],
            project_id=view["project_id"], ec2_id=int(view["seq"]),
            availability_zone=view.get("availability_zone") or
            self.compute.options.default_availability_zone,
            launch_index=view["launch_index"], reservation_id=view["reservation_id"],
            flavor_name=view["flavor"].get("name", ""), image_id=view["image_ref"] or None,
            keypairs=keys, user_data=user_data, metadata=view.get("metadata") or {},
            admin_pass=request.get("admin_pass"), password=view.get("password") or None,
            ports=[self._port(p, port_info) for p in ports],
            security_groups=list(view.get("security_groups") or []),
            block_devices=[BlockDevice(device_name=b.device_name or "/dev/vda",
                                       destination_type=b.destination_type,
                                       source_type=b.source_type,
                                       guest_format=b.guest_format)
                           for b in bdms or []])

    def _port(self, port: dict[str, Any], port_info: Any) -> Any:
        net = self.compute.networking.net
        ctx = service_context()
        subnets = [net.subnets.get(ctx, i) for i in
                   dict.fromkeys(ip["subnet_id"] for ip in port["fixed_ips"])]
        network = net.networks.get(ctx, port["network_id"])
        dhcp = [p for p in self.compute.networking.ports_on(port["network_id"])
                if p.get("device_owner") == "network:dhcp"]
        return port_info(port, subnets, network_mtu=network.get("mtu"), dhcp_ports=dhcp)

    def config_drive(self, view: dict[str, Any], ports: list[dict[str, Any]]
                     ) -> dict[str, str] | None:
        """The config-2 files (text, or ``base64:`` for bytes)."""
        from nimbus.services.compute.metadata import config_drive_files, static_vendor_data

        instance = self.build(view, ports)
        settings = self.compute.runtime.settings
        if not instance.vendor_data:
            instance.vendor_data = static_vendor_data(settings)
        files = config_drive_files(instance, dhcp_domain=settings.compute.dhcp_domain)
        return {path: _text(data) for path, data in files.items()}


def _text(data: bytes) -> str:
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode()
    return "base64:" + base64.b64encode(data).decode() if text.startswith("base64:") \
        else text
