"""Server group requests (nova/api/openstack/compute/schemas/server_groups.py)."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.kernel.microversion import Version, since
from nimbus.services.compute.schemas.common import name, positive_integer


def _policies(allowed: list[str]) -> dict[str, Any]:
    return {"type": "array", "prefixItems": [{"type": "string", "enum": allowed}],
            "items": False, "uniqueItems": True, "minItems": 1, "maxItems": 1}


CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {"server_group": {
        "type": "object",
        "properties": {"name": name, "policies": _policies(["anti-affinity", "affinity"])},
        "required": ["name", "policies"],
        "additionalProperties": False}},
    "required": ["server_group"],
    "additionalProperties": False,
}
CREATE_V215 = copy.deepcopy(CREATE)
CREATE_V215["properties"]["server_group"]["properties"]["policies"] = _policies(
    ["anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity"])
CREATE_V264 = copy.deepcopy(CREATE)
CREATE_V264["properties"]["server_group"]["properties"] = {
    "name": name,
    "policy": {"type": "string",
               "enum": ["anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity"]},
    "rules": {"type": "object", "properties": {"max_server_per_host": positive_integer},
              "additionalProperties": False},
}
CREATE_V264["properties"]["server_group"]["required"] = ["name", "policy"]


def create_for(version: Version) -> dict[str, Any]:
    if since(version, "2.64"):
        return CREATE_V264
    return CREATE_V215 if since(version, "2.15") else CREATE
