"""Quota requests and the resources each version shows (nova/api/openstack/compute/schemas/
quota_sets.py, quota_classes.py)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.microversion import Version, since
from nimbus.services.compute.schemas.common import MAX_INT, boolean

NETWORK = ("fixed_ips", "floating_ips", "security_groups", "security_group_rules")
INJECTED = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")
ALL = ("instances", "cores", "ram", "floating_ips", "fixed_ips", "metadata_items",
       "key_pairs", "security_groups", "security_group_rules", "injected_files",
       "injected_file_content_bytes", "injected_file_path_bytes", "server_groups",
       "server_group_members")
_limit = {"type": ["integer", "string"], "pattern": "^-?[0-9]+$", "minimum": -1,
          "maximum": MAX_INT}


def quota_set_resources(version: Version) -> tuple[str, ...]:
    """What a quota set shows and takes: the network ones go at 2.36, injected files 2.57."""
    dropped: tuple[str, ...] = ()
    if since(version, "2.36"):
        dropped += NETWORK
    if since(version, "2.57"):
        dropped += INJECTED
    return tuple(r for r in ALL if r not in dropped)


def quota_class_resources(version: Version, *, for_update: bool = False
                          ) -> tuple[str, ...]:
    """A quota class shows server groups from 2.50 (it always took them) and drops the
    network ones there; injected files go at 2.57."""
    if not since(version, "2.50"):
        groups = () if for_update else ("server_groups", "server_group_members")
        return tuple(r for r in ALL if r not in groups)
    return tuple(r for r in quota_set_resources(version) if r not in NETWORK)


def update_schema(key: str, resources: tuple[str, ...], *, force: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {r: _limit for r in resources}
    if force:
        properties["force"] = boolean
    return {"type": "object",
            "properties": {key: {"type": "object", "properties": properties,
                                 "additionalProperties": False}},
            "required": [key], "additionalProperties": False}
