"""Swift's constraints (swift/common/constraints.py defaults): name lengths, metadata counts
and sizes, the object size limit, listing limits; and the checks that apply them, answering
with Swift's texts and statuses."""

from __future__ import annotations

import time
from collections.abc import Mapping

from nimbus.services.object.errors import BadRequest, LengthRequired, PreconditionFailed, TooLarge

MAX_FILE_SIZE = 5368709122
MAX_META_NAME_LENGTH = 128
MAX_META_VALUE_LENGTH = 256
MAX_META_COUNT = 90
MAX_META_OVERALL_SIZE = 4096
MAX_HEADER_SIZE = 8192
MAX_OBJECT_NAME_LENGTH = 1024
CONTAINER_LISTING_LIMIT = 10000
ACCOUNT_LISTING_LIMIT = 10000
MAX_ACCOUNT_NAME_LENGTH = 256
MAX_CONTAINER_NAME_LENGTH = 256
EXTRA_HEADER_COUNT = 0

CAPABILITIES = {
    "max_file_size": MAX_FILE_SIZE,
    "max_meta_name_length": MAX_META_NAME_LENGTH,
    "max_meta_value_length": MAX_META_VALUE_LENGTH,
    "max_meta_count": MAX_META_COUNT,
    "max_meta_overall_size": MAX_META_OVERALL_SIZE,
    "max_header_size": MAX_HEADER_SIZE,
    "max_object_name_length": MAX_OBJECT_NAME_LENGTH,
    "container_listing_limit": CONTAINER_LISTING_LIMIT,
    "account_listing_limit": ACCOUNT_LISTING_LIMIT,
    "max_account_name_length": MAX_ACCOUNT_NAME_LENGTH,
    "max_container_name_length": MAX_CONTAINER_NAME_LENGTH,
    "extra_header_count": EXTRA_HEADER_COUNT,
    "valid_api_versions": ["v1", "v1.0"],
    "strict_cors_mode": True,
    "allow_account_management": False,
    "account_autocreate": True,
    "policies": [{"name": "Policy-0", "aliases": "Policy-0", "default": True}],
}


def check_name(name: str, kind: str, limit: int) -> None:
    """UTF-8 without NUL (412, as Swift's check_utf8), and no longer than ``limit`` bytes."""
    if "\x00" in name or _has_surrogates(name):
        raise PreconditionFailed("Invalid UTF8 or contains NULL")
    length = len(name.encode("utf-8"))
    if length > limit:
        raise BadRequest(f"{kind} name length of {length} longer than {limit}")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_metadata(headers: Mapping[str, str], kind: str) -> None:
    """Swift's check_metadata over X-<kind>-Meta-* headers (kind: account, container,
    object)."""
    prefix = f"x-{kind}-meta-"
    count = 0
    size = 0
    for key, value in headers.items():
        lower = key.lower()
        if not lower.startswith(prefix):
            continue
        name = lower[len(prefix):]
        if not name:
            raise BadRequest("Metadata name cannot be empty")
        count += 1
        size += len(name) + len(value)
        shown = key[:len(prefix)] + name
        if len(name) > MAX_META_NAME_LENGTH:
            raise BadRequest(f"Metadata name too long: {shown}")
        if len(value) > MAX_META_VALUE_LENGTH:
            raise BadRequest(f"Metadata value longer than {MAX_META_VALUE_LENGTH}: {shown}")
        if count > MAX_META_COUNT:
            raise BadRequest(f"Too many metadata items; max {MAX_META_COUNT}")
        if size > MAX_META_OVERALL_SIZE:
            raise BadRequest(f"Total metadata too large; max {MAX_META_OVERALL_SIZE}")


def check_upload_length(headers: Mapping[str, str]) -> int | None:
    """The declared length of an upload (None: chunked); 411/413/400 as Swift answers."""
    encoding = headers.get("transfer-encoding", "").lower()
    declared = headers.get("content-length")
    if encoding and encoding != "chunked":
        raise BadRequest("Invalid Transfer-Encoding header value")
    if encoding == "chunked":
        return None
    if declared is None:
        raise LengthRequired("Missing Content-Length header.")
    if not declared.isdigit():
        raise BadRequest("Invalid Content-Length header value")
    length = int(declared)
    if length > MAX_FILE_SIZE:
        raise TooLarge("Your request is too large.")
    return length


def delete_at_of(headers: Mapping[str, str]) -> int | None:
    """X-Delete-At from X-Delete-At or X-Delete-After; 400 with Swift's texts."""
    after = headers.get("x-delete-after")
    if after is not None:
        try:
            seconds = int(after)
        except ValueError:
            raise BadRequest("Non-integer X-Delete-After") from None
        if seconds < 0:
            raise BadRequest("X-Delete-After in past")
        return int(time.time() + seconds)
    at = headers.get("x-delete-at")
    if at is None:
        return None
    try:
        value = int(float(at)) if at.replace(".", "", 1).isdigit() else int(at)
    except ValueError:
        raise BadRequest("Non-integer X-Delete-At") from None
    if value < time.time():
        raise BadRequest("X-Delete-At in past")
    return value
