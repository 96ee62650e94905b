"""Requests of os-services and aggregates (nova/api/openstack/compute/schemas/services.py,
aggregates.py)."""

from __future__ import annotations

from typing import Any

from nimbus.services.compute.schemas.common import (
    az_name,
    boolean,
    fqdn,
    metadata_with_null,
    name,
    name_with_spaces,
)

_reason = {"type": "string", "minLength": 1, "maxLength": 255}
_binary = {"type": "string", "minLength": 1, "maxLength": 255}

SERVICE_ACTION: dict[str, Any] = {
    "type": "object",
    "properties": {"host": fqdn, "binary": _binary, "disabled_reason": _reason},
    "required": ["host", "binary"], "additionalProperties": False}
SERVICE_ACTION_V211: dict[str, Any] = {
    "type": "object",
    "properties": {"host": fqdn, "binary": _binary, "disabled_reason": _reason,
                   "forced_down": boolean},
    "required": ["host", "binary"], "additionalProperties": False}
SERVICE_UPDATE_V253: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["enabled", "disabled"]},
                   "disabled_reason": _reason, "forced_down": boolean},
    "additionalProperties": False}

_zone = {"oneOf": [az_name, {"type": "null"}]}


def _wrapped(key: str, properties: dict[str, Any], required: list[str],
             **extra: Any) -> dict[str, Any]:
    return {"type": "object",
            "properties": {key: {"type": "object", "properties": properties,
                                 "required": required, "additionalProperties": False,
                                 **extra}},
            "required": [key], "additionalProperties": False}


AGGREGATE_CREATE = _wrapped("aggregate", {"name": name, "availability_zone": _zone},
                            ["name"])
AGGREGATE_UPDATE = _wrapped("aggregate", {"name": name_with_spaces,
                                          "availability_zone": _zone}, [],
                            anyOf=[{"required": ["name"]},
                                   {"required": ["availability_zone"]}])
ADD_HOST = _wrapped("add_host", {"host": fqdn}, ["host"])
REMOVE_HOST = _wrapped("remove_host", {"host": fqdn}, ["host"])
SET_METADATA = _wrapped("set_metadata", {"metadata": metadata_with_null}, ["metadata"])
