"""Flavor requests (nova/api/openstack/compute/schemas/flavors.py, flavors_extraspecs.py,
flavor_access.py), per microversion."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.kernel.microversion import Version, since
from nimbus.services.compute.schemas.common import (
    MAX_INT,
    METADATA_KEY,
    boolean,
    description,
    name,
)

_positive = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1,
             "maximum": MAX_INT}
_non_negative = {**_positive, "minimum": 0}

CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {"flavor": {
        "type": "object",
        "properties": {
            "name": name,
            "id": {"type": ["string", "number", "null"], "minLength": 1, "maxLength": 255,
                   "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
            "ram": _positive, "vcpus": _positive, "disk": _non_negative,
            "OS-FLV-EXT-DATA:ephemeral": _non_negative, "swap": _non_negative,
            "rxtx_factor": {"type": ["number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$",
                            "exclusiveMinimum": 0, "maximum": 3.40282e+38},
            "os-flavor-access:is_public": boolean,
        },
        "required": ["name", "ram", "vcpus", "disk"],
        "additionalProperties": False}},
    "required": ["flavor"],
    "additionalProperties": False,
}
CREATE_V255 = copy.deepcopy(CREATE)
CREATE_V255["properties"]["flavor"]["properties"]["description"] = description

UPDATE: dict[str, Any] = {
    "type": "object",
    "properties": {"flavor": {"type": "object", "properties": {"description": description},
                              "required": ["description"], "additionalProperties": False}},
    "required": ["flavor"],
    "additionalProperties": False,
}

SORT_COLUMNS = {"flavorid": "flavorid", "id": "flavorid", "is_public": "is_public",
                "memory_mb": "memory_mb", "name": "name", "root_gb": "root_gb",
                "rxtx_factor": "rxtx_factor", "swap": "swap", "updated_at": "updated_at",
                "vcpu_weight": "flavorid", "vcpus": "vcpus"}
SORT_KEYS = set(SORT_COLUMNS)
INDEX_QUERY = {"limit", "marker", "is_public", "minRam", "minDisk", "sort_key", "sort_dir"}

_spec_value = {"type": ["string", "number"], "maxLength": 255}
EXTRA_SPECS: dict[str, Any] = {
    "type": "object",
    "properties": {"extra_specs": {"type": "object",
                                   "patternProperties": {METADATA_KEY: _spec_value},
                                   "additionalProperties": False}},
    "required": ["extra_specs"],
    "additionalProperties": False,
}
EXTRA_SPEC: dict[str, Any] = {"type": "object",
                              "patternProperties": {METADATA_KEY: _spec_value},
                              "additionalProperties": False,
                              "minProperties": 1, "maxProperties": 1}


def _tenant_action(action: str) -> dict[str, Any]:
    return {"type": "object",
            "properties": {action: {
                "type": "object",
                "properties": {"tenant": {"type": "string", "minLength": 1,
                                          "maxLength": 255}},
                "required": ["tenant"], "additionalProperties": False}},
            "required": [action], "additionalProperties": False}


ADD_TENANT = _tenant_action("addTenantAccess")
REMOVE_TENANT = _tenant_action("removeTenantAccess")


def create_for(version: Version | None) -> dict[str, Any]:
    return CREATE_V255 if version is not None and since(version, "2.55") else CREATE
