"""Key pair requests (nova/api/openstack/compute/schemas/keypairs.py), per microversion."""

from __future__ import annotations

import copy
from typing import Any

from nimbus.kernel.microversion import Version, since
from nimbus.services.compute.schemas.common import name

_name = {"allOf": [name, {"type": "string", "pattern": r"^[_\- a-zA-Z0-9]+$",
                          "minLength": 1, "maxLength": 255}]}
_name_v292 = {"allOf": [name, {"type": "string", "pattern": r"^[_\-\@\. a-zA-Z0-9]+$",
                               "minLength": 1, "maxLength": 255}]}


def _create(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object",
            "properties": {"keypair": {"type": "object", "properties": properties,
                                       "required": required,
                                       "additionalProperties": False}},
            "required": ["keypair"], "additionalProperties": False}


_type = {"type": "string", "enum": ["ssh", "x509"]}
CREATE = _create({"name": _name, "public_key": {"type": "string"}}, ["name"])
CREATE_V22 = _create({"name": _name, "type": _type, "public_key": {"type": "string"}},
                     ["name"])
CREATE_V210 = _create({"name": _name, "type": _type, "public_key": {"type": "string"},
                       "user_id": {"type": "string"}}, ["name"])
CREATE_V292 = copy.deepcopy(CREATE_V210)
CREATE_V292["properties"]["keypair"]["properties"]["name"] = _name_v292
CREATE_V292["properties"]["keypair"]["required"] = ["name", "public_key"]


def create_for(version: Version) -> dict[str, Any]:
    for low, schema in (("2.92", CREATE_V292), ("2.10", CREATE_V210), ("2.2", CREATE_V22)):
        if since(version, low):
            return schema
    return CREATE
