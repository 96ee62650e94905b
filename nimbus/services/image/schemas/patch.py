"""Glance's JSON-patch bodies (PATCH /v2/images/{id}).

Two media types: ``application/openstack-images-v2.1-json-patch`` (RFC 6902 style,
``{"op": "replace", "path": "/name", "value": ...}``) and the older
``application/openstack-images-v2.0-json-patch`` (``{"replace": "/name", "value": ...}``).
Paths are one level deep: a core attribute or a custom property.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from nimbus.kernel.errors import UnsupportedMediaType
from nimbus.services.image.errors import BadRequest, ReadOnlyAttribute
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.schemas.image import READ_ONLY, check_reserved
from nimbus.services.image.schemas.image import validate_image as validate

PATCH_TYPES = {
    "application/openstack-images-v2.0-json-patch": 4,
    "application/openstack-images-v2.1-json-patch": 10,
}
OPERATIONS = ("add", "remove", "replace")


@dataclass(frozen=True)
class Change:
    op: str
    path: str
    value: Any = None
    # The older media type: "add" of an existing property is a conflict.
    strict_add: bool = False


def parse_patch(content_type: str | None, body: bytes, options: ImageOptions) -> list[Change]:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in PATCH_TYPES:
        allowed = ", ".join(sorted(PATCH_TYPES))
        raise UnsupportedMediaType(f"Image PATCH expects Content-Type one of: {allowed}",
                                   headers={"Accept-Patch": allowed})
    try:
        doc = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed JSON in request body.") from None
    if not isinstance(doc, list):
        raise BadRequest("Request body must be a JSON array of operation objects.")
    draft = PATCH_TYPES[media]
    return [_parse_change(raw, draft, options) for raw in doc]


def _parse_change(raw: Any, draft: int, options: ImageOptions) -> Change:
    if not isinstance(raw, dict):
        raise BadRequest("Operations must be JSON objects.")
    op, pointer = _operation_d10(raw) if draft == 10 else _operation_d4(raw)
    path = decode_pointer(pointer)
    # /locations/N and /locations/- name one location (Glance's depth limit there is 2).
    deep_location = len(path) == 2 and path[0] == "locations" and op in ("add", "remove")
    if len(path) != 1 and not deep_location:
        raise BadRequest(f"Invalid JSON pointer for this resource: '/{'/'.join(path)}'")
    name = path[0]
    value = None
    if op != "remove":
        if "value" not in raw:
            raise BadRequest(f'Operation "{op}" requires a member named "value".')
        value = raw["value"]
    if name in READ_ONLY:
        raise ReadOnlyAttribute(name)
    if name != "locations":
        check_reserved(name)
    if op != "remove" and name != "locations":
        validate({name: value}, options)
    return Change(op, name, value, strict_add=draft == 4)


def _operation_d10(raw: dict[str, Any]) -> tuple[str, str]:
    op = raw.get("op")
    available = ", ".join(OPERATIONS)
    if op is None:
        raise BadRequest("Unable to find `op` in JSON Schema change. It must be one of the "
                         f"following: {available}.")
    if op not in OPERATIONS:
        raise BadRequest(f"Invalid operation: `{op}`. It must be one of the following: "
                         f"{available}.")
    if "path" not in raw:
        raise BadRequest("Unable to find 'path' in JSON Schema change")
    return op, raw["path"]


def _operation_d4(raw: dict[str, Any]) -> tuple[str, str]:
    found = [op for op in OPERATIONS if op in raw]
    if len(found) != 1:
        raise BadRequest('Operation objects must contain exactly one member named "add", '
                         '"remove", or "replace".')
    return found[0], raw[found[0]]


def decode_pointer(pointer: Any) -> list[str]:
    """A JSON pointer's parts, in the limited form Glance accepts."""
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise BadRequest(f'Pointer `{pointer}` does not start with "/".')
    if re.search(r"/\s*?/", pointer[1:]):
        raise BadRequest(f'Pointer `{pointer}` contains adjacent "/".')
    if len(pointer) > 1 and pointer.endswith("/"):
        raise BadRequest(f'Pointer `{pointer}` end with "/".')
    if pointer[1:].strip() == "/" or pointer == "/":
        raise BadRequest(f"Pointer `{pointer}` does not contains valid token.")
    if re.search("~[^01]", pointer) or pointer.endswith("~"):
        raise BadRequest(f'Pointer `{pointer}` contains "~" not part of a recognized '
                         "escape sequence.")
    return [part.replace("~1", "/").replace("~0", "~").strip()
            for part in pointer.lstrip("/").split("/")]

