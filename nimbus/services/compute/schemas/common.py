"""Nova's parameter types (nova/api/validation/parameter_types.py) and the validator that
turns a schema error into Nova's 400 ``Invalid input for field/attribute ...``."""

from __future__ import annotations

import copy
import unicodedata
from functools import lru_cache
from typing import Any

import jsonschema

from nimbus.kernel.errors import BadRequest
from nimbus.services.compute.errors import InvalidInput

MAX_INT = 0x7FFFFFFF


def _printable(text: str) -> bool:
    return all(unicodedata.category(c)[0] != "C"
               and unicodedata.category(c) not in ("Zl", "Zp") for c in text)


def _is_name(value: object) -> bool:
    """Printable, no leading or trailing white space (Nova's ``name`` format)."""
    if not isinstance(value, str):
        return True
    return _printable(value) and value == value.strip()


def _is_name_spaces(value: object) -> bool:
    """Printable, with at least one character that is not white space."""
    if not isinstance(value, str):
        return True
    return _printable(value) and bool(value.strip())


def _is_az_name(value: object) -> bool:
    return not isinstance(value, str) or (_is_name(value) and ":" not in value)


FORMATS = jsonschema.FormatChecker()
FORMATS.checks("name")(_is_name)
FORMATS.checks("name_with_leading_trailing_spaces")(_is_name_spaces)
FORMATS.checks("az_name")(_is_az_name)

name: dict[str, Any] = {"type": "string", "format": "name", "minLength": 1, "maxLength": 255}
name_with_spaces: dict[str, Any] = {"type": "string",
                                    "format": "name_with_leading_trailing_spaces",
                                    "minLength": 1, "maxLength": 255}
az_name: dict[str, Any] = {"type": "string", "format": "az_name", "minLength": 1,
                           "maxLength": 255}
description: dict[str, Any] = {"type": ["string", "null"], "minLength": 0,
                               "maxLength": 255, "format": "name_with_leading_trailing_spaces"}
boolean: dict[str, Any] = {
    "type": ["boolean", "string"],
    "enum": [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
             False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no"]}
positive_integer: dict[str, Any] = {"type": ["integer", "string"], "pattern": "^[0-9]*$",
                                    "minimum": 1, "minLength": 1}
non_negative_integer: dict[str, Any] = {"type": ["integer", "string"], "pattern": "^[0-9]*$",
                                        "minimum": 0, "minLength": 1}
fqdn: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 255,
                        "pattern": r"^[a-zA-Z0-9_][a-zA-Z0-9_.\-]*$"}
METADATA_KEY = "^[a-zA-Z0-9-_:. ]{1,255}$"
metadata: dict[str, Any] = {"type": "object",
                            "patternProperties": {METADATA_KEY: {"type": "string",
                                                                 "maxLength": 255}},
                            "additionalProperties": False}
metadata_with_null = copy.deepcopy(metadata)
metadata_with_null["patternProperties"][METADATA_KEY]["type"] = ["string", "null"]

TRUE_WORDS = frozenset({"true", "1", "on", "yes", "y", "t"})


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_WORDS


def body_of(schema: dict[str, Any], body: Any) -> dict[str, Any]:
    """``body`` checked against ``schema``; the first error as Nova words it."""
    error = jsonschema.exceptions.best_match(_validator(_key(schema)).iter_errors(body))
    if error is not None:
        raise InvalidInput(_describe(error))
    return body  # type: ignore[no-any-return]


_SCHEMAS: dict[int, dict[str, Any]] = {}


def _key(schema: dict[str, Any]) -> int:
    _SCHEMAS.setdefault(id(schema), schema)
    return id(schema)


@lru_cache(maxsize=256)
def _validator(key: int) -> Any:
    schema = _SCHEMAS[key]
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=FORMATS)


def _describe(error: Any) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        return f"{path or 'body'}. Value: {_short(error.instance)}. {error.message}"
    if error.validator == "required":
        return f"{path or 'body'}. Value: {_short(error.instance)}. {error.message}"
    return f"{path}. Value: {_short(error.instance)}. {error.message}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def query_of(req_query: Any, allowed: set[str] | None) -> None:
    """From 2.75 Nova refuses query parameters its schema does not name."""
    if allowed is None:
        return
    unknown = sorted(set(req_query.keys()) - allowed)
    if unknown:
        raise BadRequest(f"Invalid input for query parameters {unknown[0]}. Value: "
                         f"{req_query.get(unknown[0])}. Additional properties are not "
                         f"allowed ('{unknown[0]}' was unexpected)")


def int_param(query: Any, key: str, *, minimum: int = 0) -> int | None:
    value = query.get(key)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"Invalid input for query parameters {key}. Value: {value}. "
                         f"'{value}' is not a 'integer'") from None
    if number < minimum:
        raise BadRequest(f"Invalid input for query parameters {key}. Value: {value}. "
                         f"{value} is less than the minimum of {minimum}")
    return number
