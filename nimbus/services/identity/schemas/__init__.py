"""Request validation (JSON Schema, as Keystone validates) and response shapes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema import Draft4Validator

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.errors import SchemaError

ID = {"type": "string", "minLength": 1, "maxLength": 64}
NULLABLE_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 64}
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]+"}
NAME_64 = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"[\S]+"}
DESCRIPTION = {"type": ["string", "null"]}
ENABLED = {"type": "boolean"}
TAG = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^,/]*$"}
TAGS = {"type": "array", "items": TAG, "maxItems": 80, "uniqueItems": True}
OPTIONS = {"type": "object"}

_validators: dict[int, Draft4Validator] = {}


def validate(schema: dict[str, Any], document: Any) -> None:
    """Raise a 400 in Keystone's words when ``document`` does not fit ``schema``."""
    validator = _validators.get(id(schema))
    if validator is None:
        validator = _validators[id(schema)] = Draft4Validator(schema)
    error = next(iter(validator.iter_errors(document)), None)
    if error is None:
        return
    path = ".".join(str(p) for p in error.path)
    if error.validator == "additionalProperties":
        raise SchemaError(f"Invalid input for field '{path or 'body'}': {error.message}")
    if path:
        raise SchemaError(f"Invalid input for field '{path}': {error.message}")
    raise SchemaError(f"Invalid input for request body: {error.message}")


def self_link(req: ApiRequest, *parts: str) -> dict[str, str]:
    return {"self": "/".join([req.base_url, "v3", *parts])}


def collection(req: ApiRequest, key: str, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Keystone's list envelope."""
    return {key: list(items), "links": {"self": req.url, "previous": None, "next": None}}


def truthy(value: str | None) -> bool | None:
    """Keystone's reading of a boolean query filter (``enabled=false``, ``enabled=0``)."""
    if value is None:
        return None
    return value.strip().lower() not in ("0", "false", "f", "no", "n", "off", "")
