"""Request bodies of the servers API (nova/api/openstack/compute/schemas/servers.py, in
our words), per microversion, checked with JSON Schema; a failure is Nova's 400
"Invalid input for field/attribute ..."."""

from __future__ import annotations

from typing import Any

import jsonschema

from nimbus.kernel.microversion import Version, since
from nimbus.services.compute.errors import InvalidInput

NAME = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^(?!\s)[\s\S]*(?<!\s)$"}
DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 255}
UUID = {"type": "string", "format": "uuid",
        "pattern": r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"}
IP4 = {"type": "string", "format": "ipv4"}
IP6 = {"type": "string", "format": "ipv6"}
METADATA = {"type": "object", "patternProperties": {
    r"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False}
TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": r"^[^,/]*$"}
HOSTNAME_290 = {"type": "string", "minLength": 2, "maxLength": 63,
                "pattern": r"^[a-zA-Z0-9-._]*$"}
HOSTNAME_294 = {"type": "string", "minLength": 2, "maxLength": 255,
                "pattern": r"^[a-zA-Z0-9-._]*$"}
COUNT = {"type": ["integer", "string"], "pattern": r"^[0-9]*$", "minimum": 1, "minLength": 1}
# user_data: base64 text of at most 64 KiB decoded (Nova checks 65535 bytes of text).
USER_DATA = {"type": "string", "format": "base64", "maxLength": 65535}


def _network(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {"fixed_ip": {"type": "string", "anyOf": [IP4, IP6]},
                             "port": {"oneOf": [UUID, {"type": "null"}]}, "uuid": UUID}
    if since(version, "2.32"):
        props["tag"] = TAG
    return {"type": "object", "properties": props, "additionalProperties": False}


def _networks(version: Version) -> dict[str, Any]:
    listed = {"type": "array", "items": _network(version)}
    if since(version, "2.37"):
        return {"oneOf": [listed, {"type": "string", "enum": ["none", "auto"]}]}
    return listed


BDM = {"type": "object", "properties": {
    "source_type": {"type": "string", "enum": ["volume", "image", "snapshot", "blank"]},
    "destination_type": {"type": "string", "enum": ["local", "volume"]},
    "uuid": {"type": "string", "minLength": 1, "maxLength": 255},
    "boot_index": {"type": ["integer", "string", "null"], "pattern": r"^-?[0-9]+$"},
    "volume_size": {"type": ["integer", "string", "null"], "pattern": r"^[0-9]+$",
                    "minimum": 0},
    "device_name": {"type": "string", "minLength": 1, "maxLength": 255},
    "device_type": {"type": "string", "maxLength": 255},
    "disk_bus": {"type": "string", "maxLength": 255},
    "guest_format": {"type": "string", "maxLength": 255},
    "delete_on_termination": {"type": ["boolean", "string"]},
    "no_device": {}, "connection_info": {"type": "string", "maxLength": 16777215},
    "tag": TAG, "volume_type": {"type": ["string", "null"]},
}, "additionalProperties": False}


def create_schema(version: Version) -> dict[str, Any]:
    server: dict[str, Any] = {
        "name": NAME, "imageRef": {"type": "string", "maxLength": 255},
        "flavorRef": {"type": ["string", "integer"], "minLength": 1},
        "adminPass": {"type": "string"}, "metadata": METADATA,
        "networks": _networks(version), "OS-DCF:diskConfig": {
            "type": "string", "enum": ["AUTO", "MANUAL"]},
        "accessIPv4": IP4, "accessIPv6": IP6, "key_name": {
            "type": "string", "minLength": 1, "maxLength": 255},
        "user_data": USER_DATA, "config_drive": {"type": ["boolean", "string", "null"]},
        "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
        "security_groups": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string", "minLength": 1,
                                                      "maxLength": 255}},
            "additionalProperties": False}},
        "block_device_mapping_v2": {"type": "array", "items": BDM},
        "min_count": COUNT, "max_count": COUNT, "return_reservation_id": {
            "type": ["boolean", "string"]},
    }
    required = ["name", "flavorRef"]
    if not since(version, "2.57"):
        server["personality"] = {"type": "array", "items": {
            "type": "object", "properties": {"path": {"type": "string"},
                                             "contents": {"type": "string"}}}}
    if since(version, "2.19"):
        server["description"] = DESCRIPTION
    if since(version, "2.37"):
        required.append("networks")
    if since(version, "2.52"):
        server["tags"] = {"type": "array", "items": TAG, "maxItems": 50}
    if since(version, "2.74"):
        server["host"] = {"type": "string", "minLength": 1, "maxLength": 255}
        server["hypervisor_hostname"] = {"type": "string", "minLength": 1, "maxLength": 255}
    if since(version, "2.90"):
        server["hostname"] = HOSTNAME_294 if since(version, "2.94") else HOSTNAME_290
    return {"type": "object", "properties": {
        "server": {"type": "object", "properties": server, "required": required,
                   "additionalProperties": False},
        "os:scheduler_hints": {"type": "object"},
        "OS-SCH-HNT:scheduler_hints": {"type": "object"}},
        "required": ["server"], "additionalProperties": False}


def update_schema(version: Version) -> dict[str, Any]:
    server: dict[str, Any] = {"name": NAME, "accessIPv4": IP4, "accessIPv6": IP6,
                              "OS-DCF:diskConfig": {"type": "string",
                                                    "enum": ["AUTO", "MANUAL"]}}
    if since(version, "2.19"):
        server["description"] = DESCRIPTION
    if since(version, "2.90"):
        server["hostname"] = HOSTNAME_294 if since(version, "2.94") else HOSTNAME_290
    return {"type": "object", "properties": {"server": {
        "type": "object", "properties": server, "additionalProperties": False}},
        "required": ["server"], "additionalProperties": False}


def rebuild_schema(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": NAME, "imageRef": {"type": "string", "minLength": 1, "maxLength": 255},
        "adminPass": {"type": "string"}, "metadata": METADATA,
        "preserve_ephemeral": {"type": "boolean"}, "accessIPv4": IP4, "accessIPv6": IP6,
        "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]}}
    if not since(version, "2.57"):
        props["personality"] = {"type": "array"}
    if since(version, "2.19"):
        props["description"] = DESCRIPTION
    if since(version, "2.54"):
        props["key_name"] = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
    if since(version, "2.57"):
        props["user_data"] = {**USER_DATA, "type": ["string", "null"]}
    if since(version, "2.63"):
        props["trusted_image_certificates"] = {"type": ["array", "null"]}
    if since(version, "2.90"):
        props["hostname"] = HOSTNAME_294 if since(version, "2.94") else HOSTNAME_290
    return {"type": "object", "properties": {"rebuild": {
        "type": "object", "properties": props, "required": ["imageRef"],
        "additionalProperties": False}}, "required": ["rebuild"],
        "additionalProperties": False}


_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("base64", raises=ValueError)
def _is_base64(value: object) -> bool:
    import base64
    import binascii

    if not isinstance(value, str):
        return True
    try:
        base64.b64decode(value, validate=True)
    except binascii.Error as err:
        raise ValueError(str(err)) from None
    return True


def validate(schema: dict[str, Any], body: Any) -> None:
    validator = jsonschema.Draft4Validator(schema, format_checker=_FORMATS)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return
    path = "/".join(str(p) for p in error.absolute_path) or "body"
    if error.validator == "additionalProperties":
        raise InvalidInput(f"{path}. Value: {_short(error.instance)}. {error.message}")
    raise InvalidInput(f"{path}. Value: {_short(error.instance)}. {error.message}")


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else text[:100] + "..."
