"""The image and member JSON schemas, as /v2/schemas/* publishes them, and create bodies."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema

from nimbus.services.image.errors import (
    BadRequest,
    OverLimit,
    ReadOnlyAttribute,
    ReservedAttribute,
)
from nimbus.services.image.options import ImageOptions

UUID_PATTERN = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
                "-([0-9a-fA-F]){12}$")
STATUSES = ["queued", "saving", "active", "killed", "deleted", "uploading", "importing",
            "pending_delete", "deactivated"]
VISIBILITIES = ["community", "public", "private", "shared"]

# Settable on create and by patch; everything else a client sends is a custom property.
CORE_ATTRIBUTES = ("name", "visibility", "protected", "os_hidden", "min_disk", "min_ram",
                   "disk_format", "container_format", "owner", "tags")
READ_ONLY = ("created_at", "updated_at", "status", "checksum", "size", "virtual_size",
             "direct_url", "self", "file", "schema", "id", "os_hash_algo", "os_hash_value")
NEVER_SENT = ("direct_url", "self", "file", "schema", "stores")
RESERVED = ("location", "locations", "deleted", "deleted_at")
RESERVED_PREFIX = "os_glance"


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _nullable(kind: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": ["null", kind], "description": description, **extra}


READ_ONLY_MARK = {"readOnly": True}
# The core properties; the format enums come from the options (base_properties).
BASE_PROPERTIES: dict[str, Any] = {
    "id": _string("An identifier for the image", pattern=UUID_PATTERN),
    "name": _nullable("string", "Descriptive name for the image", maxLength=255),
    "status": _string("Status of the image", enum=STATUSES, **READ_ONLY_MARK),
    "visibility": _string("Scope of image accessibility", enum=VISIBILITIES),
    "protected": {"type": "boolean",
                  "description": "If true, image will not be deletable."},
    "os_hidden": {"type": "boolean", "description": "If true, image will not appear in "
                  "default image list response."},
    "checksum": _nullable("string", "md5 hash of image contents.", maxLength=32,
                          **READ_ONLY_MARK),
    "os_hash_algo": _nullable("string", "Algorithm to calculate the os_hash_value",
                              maxLength=64, **READ_ONLY_MARK),
    "os_hash_value": _nullable("string", "Hexdigest of the image contents using the "
                               "algorithm specified by the os_hash_algo",
                               maxLength=128, **READ_ONLY_MARK),
    "owner": _nullable("string", "Owner of the image", maxLength=255),
    "size": _nullable("integer", "Size of image file in bytes", **READ_ONLY_MARK),
    "virtual_size": _nullable("integer", "Virtual size of image in bytes", **READ_ONLY_MARK),
    "created_at": _string("Date and time of image registration", **READ_ONLY_MARK),
    "updated_at": _string("Date and time of the last image modification", **READ_ONLY_MARK),
    "tags": {"type": "array", "description": "List of strings related to the image",
             "items": {"type": "string", "maxLength": 255}},
    "direct_url": _string("URL to access the image file kept in external store",
                          **READ_ONLY_MARK),
    "min_ram": {"type": "integer",
                "description": "Amount of ram (in MB) required to boot image."},
    "min_disk": {"type": "integer",
                 "description": "Amount of disk space (in GB) required to boot image."},
    "self": _string("An image self url", **READ_ONLY_MARK),
    "file": _string("An image file url", **READ_ONLY_MARK),
    "stores": _string("Store in which image data resides.  Only present when the "
                      "operator has enabled multiple stores.  May be a comma-separated "
                      "list of store identifiers.", **READ_ONLY_MARK),
    "schema": _string("An image schema url", **READ_ONLY_MARK),
    "locations": {"type": "array", "description": "A set of URLs to access the image "
                  "file kept in external store",
                  "items": {"type": "object", "required": ["url", "metadata"],
                            "properties": {"url": {"type": "string", "maxLength": 255},
                                           "metadata": {"type": "object"}}}},
}


def base_properties(options: ImageOptions) -> dict[str, Any]:
    return {**copy.deepcopy(BASE_PROPERTIES),
            "container_format": _nullable("string", "Format of the container",
                                          enum=[None, *options.container_formats]),
            "disk_format": _nullable("string", "Format of the disk",
                                     enum=[None, *options.disk_formats])}


# The properties Glance's default schema-image.json adds.
CUSTOM_PROPERTIES: dict[str, Any] = {
    "kernel_id": _nullable("string", "ID of image stored in Glance that should be used as "
                           "the kernel when booting an AMI-style image.",
                           pattern=UUID_PATTERN),
    "ramdisk_id": _nullable("string", "ID of image stored in Glance that should be used as "
                            "the ramdisk when booting an AMI-style image.",
                            pattern=UUID_PATTERN),
    "instance_uuid": _string("Metadata which can be used to record which instance this "
                             "image is associated with. (Informational only, does not "
                             "create an instance snapshot.)"),
    "architecture": _string("Operating system architecture as specified in "
                            "https://docs.openstack.org/python-glanceclient/latest/cli/"
                            "property-keys.html"),
    "os_distro": _string("Common name of operating system distribution as specified in "
                         "https://docs.openstack.org/python-glanceclient/latest/cli/"
                         "property-keys.html"),
    "os_version": _string("Operating system version as specified by the distributor."),
    "description": _string("A human-readable string describing this image."),
    "cinder_encryption_key_id": _string(
        "Identifier in the OpenStack Key Management Service for the encryption key for the "
        "Block Storage Service to use when mounting a volume created from this image"),
    "cinder_encryption_key_deletion_policy": _string(
        "States the condition under which the Image Service will delete the object "
        "associated with the 'cinder_encryption_key_id' image property.  If this property "
        "is missing, the Image Service will take no action",
        enum=["on_image_deletion", "do_not_delete"]),
}

IMAGE_LINKS = [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
               {"rel": "describedby", "href": "{schema}"}]
COLLECTION_LINKS = [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                    {"rel": "describedby", "href": "{schema}"}]


def image_schema(options: ImageOptions) -> dict[str, Any]:
    custom = {name: {**prop, "is_base": False}
              for name, prop in copy.deepcopy(CUSTOM_PROPERTIES).items()}
    return {"name": "image", "properties": {**base_properties(options), **custom},
            "additionalProperties": {"type": "string"}, "links": IMAGE_LINKS}


def collection_schema(name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"name": name,
            "properties": {name: {"type": "array", "items": item},
                           "first": {"type": "string"}, "next": {"type": "string"},
                           "schema": {"type": "string"}},
            "links": COLLECTION_LINKS}


MEMBER_SCHEMA: dict[str, Any] = {
    "name": "member",
    "properties": {
        "member_id": _string("An identifier for the image member (tenantId)"),
        "image_id": _string("An identifier for the image", pattern=UUID_PATTERN),
        "created_at": _string("Date and time of image member creation"),
        "updated_at": _string("Date and time of last modification of image member"),
        "status": _string("The status of this image member",
                          enum=["pending", "accepted", "rejected"]),
        "schema": {"readOnly": True, "type": "string"},
    },
    "additionalProperties": False,
}


@lru_cache(maxsize=8)
def _validator(options: ImageOptions) -> jsonschema.protocols.Validator:
    schema = image_schema(options)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def validate_image(doc: Any, options: ImageOptions) -> None:
    error = jsonschema.exceptions.best_match(_validator(options).iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        place = f" (at '{where}')" if where else ""
        raise BadRequest(f"Provided object does not match schema 'image': "
                         f"{error.message}{place}")


@dataclass
class NewImage:
    """A create request, split as Glance splits it."""

    core: dict[str, Any]
    extra: dict[str, str]
    tags: list[str] = field(default_factory=list)
    image_id: str | None = None


def parse_create(body: Any, options: ImageOptions) -> NewImage:
    if not isinstance(body, dict):
        raise BadRequest("Body expected in request.")
    for key in NEVER_SENT:
        if key in body:
            raise ReadOnlyAttribute(key)
    validate_image(body, options)
    doc = dict(body)
    tags = _unique(doc.pop("tags", []))
    image_id = doc.pop("id", None)
    core = {k: doc.pop(k) for k in list(doc) if k in CORE_ATTRIBUTES}
    for key in doc:
        if len(key) > 255:
            raise BadRequest("Custom property should not be greater than 255 characters.")
        if key in READ_ONLY:
            raise ReadOnlyAttribute(key)
        check_reserved(key)
    check_numbers(core)
    check_counts(doc, tags, options)
    return NewImage(core, doc, tags, image_id)


def check_reserved(key: str) -> None:
    if key in RESERVED or key.startswith(RESERVED_PREFIX):
        raise ReservedAttribute(key)


def check_numbers(core: dict[str, Any]) -> None:
    for key in ("min_ram", "min_disk"):
        if (core.get(key) or 0) < 0:
            raise BadRequest(f"Invalid value '{core[key]}' for parameter '{key}': "
                             "Cannot be a negative value.")


def check_counts(extra: dict[str, Any], tags: list[str], options: ImageOptions) -> None:
    if len(extra) > options.image_property_quota:
        raise OverLimit("The limit has been exceeded on the number of allowed image "
                        f"properties. Attempted: {len(extra)}, "
                        f"Maximum: {options.image_property_quota}")
    if len(tags) > options.image_tag_quota:
        raise OverLimit("The limit has been exceeded on the number of allowed image tags. "
                        f"Attempted: {len(tags)}, Maximum: {options.image_tag_quota}")


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))
