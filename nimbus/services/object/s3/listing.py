"""ListObjects v1 (marker) and v2 (continuation-token, start-after), from the container's
listing: prefix, delimiter (CommonPrefixes), max-keys, IsTruncated."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

from nimbus.kernel.web import Reply
from nimbus.services.object.s3.common import (
    S3Request,
    bucket_info,
    elem,
    listing_time,
    owner_xml,
    xml_reply,
)
from nimbus.services.object.s3.errors import S3Error

MAX_KEYS = 1000


def _max_keys(s3: S3Request, name: str = "max-keys") -> int:
    raw = s3.query.get(name, str(MAX_KEYS))
    if not raw.isdigit():
        raise S3Error("InvalidArgument", f"Provided {name} not an integer or within "
                      "integer range", ArgumentName=name, ArgumentValue=raw)
    return min(int(raw), MAX_KEYS)


def _skip_marker(marker: str, prefix: str, delimiter: str) -> str:
    """A marker that is (or is under) a common prefix skips everything under it, else the
    listing would roll the same prefix up again."""
    if not delimiter or not marker.startswith(prefix):
        return marker
    cut = marker.find(delimiter, len(prefix))
    if cut < 0:
        return marker
    return max(marker, marker[:cut] + chr(ord(delimiter[0]) + 1))


def page(s3: S3Request, marker: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
    prefix = s3.query.get("prefix", "")
    delimiter = s3.query.get("delimiter", "")
    if limit == 0:
        return [], False
    rows = s3.svc.list_objects(s3.account, s3.bucket, limit=limit + 1,
                               marker=_skip_marker(marker, prefix, delimiter), prefix=prefix,
                               delimiter=delimiter)
    return rows[:limit], len(rows) > limit


def _enc(s3: S3Request, value: str) -> str:
    return quote(value, safe="/") if s3.query.get("encoding-type") == "url" else value


def _rows_xml(s3: S3Request, rows: list[dict[str, Any]], owner: bool) -> str:
    out = []
    for row in rows:
        if "subdir" in row:
            out.append(f"<CommonPrefixes>{elem('Prefix', _enc(s3, row['subdir']))}"
                       "</CommonPrefixes>")
            continue
        out.append(f"<Contents>{elem('Key', _enc(s3, row['name']))}"
                   f"{elem('LastModified', listing_time(row['last_modified']) + 'Z')}"
                   f"{elem('ETag', chr(34) + row['hash'] + chr(34))}{elem('Size', row['bytes'])}"
                   f"{owner_xml(s3) if owner else ''}"
                   "<StorageClass>STANDARD</StorageClass></Contents>")
    return "".join(out)


def _common(s3: S3Request, limit: int, truncated: bool) -> str:
    out = elem("Name", s3.bucket) + elem("Prefix", _enc(s3, s3.query.get("prefix", "")))
    if s3.query.get("delimiter"):
        out += elem("Delimiter", _enc(s3, s3.query["delimiter"]))
    if s3.query.get("encoding-type") == "url":
        out += elem("EncodingType", "url")
    return out + elem("MaxKeys", limit) + elem("IsTruncated", str(truncated).lower())


def _last(rows: list[dict[str, Any]]) -> str:
    return str(rows[-1].get("subdir") or rows[-1]["name"]) if rows else ""


def list_v1(s3: S3Request) -> Reply:
    bucket_info(s3)
    limit = _max_keys(s3)
    marker = s3.query.get("marker", "")
    rows, truncated = page(s3, marker, limit)
    inner = _common(s3, limit, truncated) + elem("Marker", _enc(s3, marker))
    if truncated and s3.query.get("delimiter"):
        inner += elem("NextMarker", _enc(s3, _last(rows)))
    return xml_reply("ListBucketResult", inner + _rows_xml(s3, rows, True))


def list_v2(s3: S3Request) -> Reply:
    bucket_info(s3)
    limit = _max_keys(s3)
    token = s3.query.get("continuation-token")
    marker = s3.query.get("start-after", "")
    if token is not None:
        try:
            marker = base64.urlsafe_b64decode(token.encode()).decode("utf-8")
        except (binascii.Error, ValueError):
            raise S3Error("InvalidArgument", "The continuation token provided is incorrect",
                          ArgumentName="continuation-token") from None
    rows, truncated = page(s3, marker, limit)
    inner = _common(s3, limit, truncated) + elem("KeyCount", len(rows))
    if token is not None:
        inner += elem("ContinuationToken", token)
    if "start-after" in s3.query:
        inner += elem("StartAfter", _enc(s3, s3.query["start-after"]))
    if truncated:
        inner += elem("NextContinuationToken",
                      base64.urlsafe_b64encode(_last(rows).encode()).decode())
    owner = s3.query.get("fetch-owner", "false").lower() == "true"
    return xml_reply("ListBucketResult", inner + _rows_xml(s3, rows, owner))
