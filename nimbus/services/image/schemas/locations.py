"""The body of POST /v2/images/{image_id}/locations (Glance's ``add_location`` schema)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema

from nimbus.services.image.errors import BadRequest

HASH_ALGORITHMS = ["sha1", "sha256", "sha512", "md5"]

ADD_LOCATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "description": "The URL of the new location to be added "
                "in the image."},
        "validation_data": {
            "type": "object",
            "description": "Values that the data at the location must hash to.",
            "additionalProperties": False,
            "properties": {
                "os_hash_algo": {"type": "string", "maxLength": 64,
                                 "enum": HASH_ALGORITHMS},
                "os_hash_value": {"type": "string", "maxLength": 128},
            },
            "dependentRequired": {"os_hash_value": ["os_hash_algo"],
                                  "os_hash_algo": ["os_hash_value"]},
        },
    },
    "required": ["url"],
}


@dataclass(frozen=True)
class NewLocation:
    url: str
    validation: dict[str, str] = field(default_factory=dict)

    @property
    def hash_algo(self) -> str:
        return self.validation.get("os_hash_algo", "sha512")


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(ADD_LOCATION_SCHEMA)
    return cls(ADD_LOCATION_SCHEMA)


def parse_add_location(body: Any) -> NewLocation:
    if not isinstance(body, dict):
        raise BadRequest("Body expected in request.")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(body))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        place = f" (at '{where}')" if where else ""
        raise BadRequest(f"Provided object does not match schema 'location': "
                         f"{error.message}{place}")
    return NewLocation(body["url"], dict(body.get("validation_data") or {}))


def check_hash_value(validation: dict[str, str]) -> None:
    """os_hash_value must be hex of the digest size of os_hash_algo (Glance's check)."""
    value = validation.get("os_hash_value")
    if value is None:
        return
    try:
        digest = bytes.fromhex(value)
    except ValueError:
        raise BadRequest(f"os_hash_value ({value}) is not a valid hexadecimal value") \
            from None
    algo = validation.get("os_hash_algo", "sha512")
    want = hashlib.new(algo).digest_size
    if len(digest) != want:
        raise BadRequest(f"os_hash_value: ({value}) is not the correct size for ({algo}) "
                         f"(should be ({want}) bytes)")
