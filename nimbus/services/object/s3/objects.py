"""Object operations on the Swift objects themselves (the object service's put/read/delete,
as the Swift API calls them): x-amz-meta-* are X-Object-Meta-*, the ETag is the MD5 (a
multipart object keeps S3's md5-of-md5s-N in its system metadata)."""

from __future__ import annotations

import base64
import binascii
import email.utils
import json
import math
import mimetypes
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from nimbus.kernel.errors import CloudError
from nimbus.kernel.web import Reply
from nimbus.services.object.api.ranges import parse_ranges
from nimbus.services.object.constraints import MAX_FILE_SIZE
from nimbus.services.object.middleware.segments import Segment, _pieces, segments_etag
from nimbus.services.object.middleware.slo import _etag_part, _range_of
from nimbus.services.object.s3.buckets import acl_xml, parse_tagging, tagging_xml
from nimbus.services.object.s3.common import (
    OBJ_SYSMETA,
    S3Request,
    amz_meta,
    bucket_info,
    elem,
    iso_time,
    parse_xml,
    read_body,
    s3_etag,
    text,
    user_meta,
    xml_reply,
)
from nimbus.services.object.s3.errors import S3Error
from nimbus.services.object.service import ALLOWED_HEADERS, ContainerMissing
from nimbus.services.object.store.diskfile import (
    EtagMismatch,
    SizeExceeded,
    StoredObject,
    read_range,
)

KEPT = ("content-type", "content-encoding", "content-disposition", "content-language",
        "cache-control", "expires")
OVERRIDES = ("response-content-type", "response-content-language", "response-expires",
             "response-cache-control", "response-content-disposition",
             "response-content-encoding")


def http_date(timestamp: str) -> str:
    return email.utils.formatdate(math.ceil(float(timestamp)), usegmt=True)


def content_md5(s3: S3Request) -> str | None:
    value = s3.headers.get("content-md5")
    if value is None:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise S3Error("InvalidDigest") from None
    if len(raw) != 16:
        raise S3Error("InvalidDigest")
    return raw.hex()


def store(s3: S3Request, container: str, key: str, chunks: Iterable[bytes],
          meta: dict[str, str], md5: str | None = None) -> StoredObject:
    length = s3.headers.get("x-amz-decoded-content-length") or s3.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_FILE_SIZE:
        raise S3Error("EntityTooLarge")
    try:
        return s3.svc.put_object(s3.account, container, key, chunks, meta, expected_etag=md5)
    except ContainerMissing:
        raise S3Error("NoSuchBucket", BucketName=container) from None
    except EtagMismatch:
        raise S3Error("BadDigest") from None
    except SizeExceeded:
        raise S3Error("EntityTooLarge") from None


def _request_meta(s3: S3Request) -> dict[str, str]:
    meta = user_meta(s3.headers)
    for name in KEPT[1:]:
        if s3.headers.get(name):
            meta["-".join(p.capitalize() for p in name.split("-"))] = s3.headers[name]
    meta["Content-Type"] = s3.headers.get("content-type") or \
        mimetypes.guess_type(s3.key)[0] or "application/octet-stream"
    tagging = s3.headers.get("x-amz-tagging")
    if tagging:
        meta[OBJ_SYSMETA + "Tagging"] = json.dumps(parse_qsl(tagging, keep_blank_values=True))
    return meta


def put_object(s3: S3Request, body: Iterable[bytes]) -> Reply:
    bucket_info(s3)
    stored = store(s3, s3.bucket, s3.key, body, _request_meta(s3), content_md5(s3))
    return Reply(None, 200, {"ETag": f'"{stored.etag}"', "Content-Length": "0"})


def readable(s3: S3Request, bucket: str, key: str) -> StoredObject:
    if s3.svc.container_info(s3.account, bucket) is None:
        raise S3Error("NoSuchBucket", BucketName=bucket)
    stored = s3.svc.head_object(s3.account, bucket, key)
    if stored is None:
        raise S3Error("NoSuchKey", Key=key)
    return stored


def _etags(value: str) -> list[str]:
    return [v.strip().strip('"') for v in value.split(",") if v.strip()]


def _since(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def conditions(headers: Any, etag: str, timestamp: str, prefix: str = "") -> bool:
    """True: 304 Not Modified; raises PreconditionFailed (412) as S3 judges them."""
    get = headers.get
    modified = math.ceil(float(timestamp))
    if_match, if_none = get(prefix + "if-match"), get(prefix + "if-none-match")
    if if_match is not None and "*" not in _etags(if_match) and etag not in _etags(if_match):
        raise S3Error("PreconditionFailed", Condition="If-Match")
    unmodified = get(prefix + "if-unmodified-since")
    if if_match is None and unmodified is not None:
        since = _since(unmodified)
        if since is not None and modified > since:
            raise S3Error("PreconditionFailed", Condition="If-Unmodified-Since")
    if if_none is not None:
        tags = _etags(if_none)
        if "*" in tags or etag in tags:
            return True
    since_value = get(prefix + "if-modified-since")
    if if_none is None and since_value is not None:
        since = _since(since_value)
        if since is not None and modified <= since:
            return True
    return False


@dataclass
class Content:
    """What S3 serves of an object: itself, or the segments a Swift SLO manifest names."""

    size: int
    etag: str
    segments: list[Segment] | None = None

    def read(self, stored: StoredObject, start: int, end: int) -> Iterator[bytes]:
        if self.segments is not None:
            return _pieces(self.segments, start, end)
        return read_range(stored, start, end)


def content_of(s3: S3Request, stored: StoredObject) -> Content:
    if stored.meta.get("X-Static-Large-Object") != "True":
        return Content(stored.size, s3_etag(stored))
    with stored.open() as f:
        entries = json.loads(f.read())
    segments = []
    for entry in entries:
        container, _sep, obj = str(entry["name"]).lstrip("/").partition("/")
        part = s3.svc.head_object(s3.account, container, obj)
        if part is None:
            raise S3Error("InvalidObjectState", f"Segment {entry['name']} of the large "
                          "object is missing")
        start, end = _range_of(entry["range"], part.size) if entry.get("range") else (0, None)
        segments.append(Segment(part, start, end))
    etag = stored.meta.get("X-Object-Sysmeta-Slo-Etag") or \
        segments_etag([_etag_part(e) for e in entries])
    return Content(sum(seg.length for seg in segments), etag, segments)


def object_headers(stored: StoredObject, content: Content) -> dict[str, str]:
    headers = {k: v for k, v in stored.meta.items()
               if k.lower() in KEPT or k.lower() in ALLOWED_HEADERS}
    headers.update(amz_meta(stored.meta))
    headers.update({"ETag": f'"{content.etag}"', "Last-Modified": http_date(
        stored.timestamp), "Accept-Ranges": "bytes", "Content-Length": str(content.size)})
    headers.pop("X-Delete-At", None)
    headers.pop("X-Object-Manifest", None)
    if OBJ_SYSMETA + "Tagging" in stored.meta:
        headers["x-amz-tagging-count"] = str(len(json.loads(stored.meta[OBJ_SYSMETA
                                                                         + "Tagging"])))
    return headers


def _not_modified(stored: StoredObject, content: Content) -> Reply:
    return Reply(None, 304, {"ETag": f'"{content.etag}"',
                             "Last-Modified": http_date(stored.timestamp)})


def head_object(s3: S3Request) -> Reply:
    stored = readable(s3, s3.bucket, s3.key)
    content = content_of(s3, stored)
    if conditions(s3.headers, content.etag, stored.timestamp):
        return _not_modified(stored, content)
    return Reply(None, 200, object_headers(stored, content))


def _range(value: str | None, size: int) -> tuple[int, int] | None:
    try:
        wanted = parse_ranges(value, size)
    except CloudError:
        raise S3Error("InvalidRange", ActualObjectSize=str(size)) from None
    return wanted[0] if wanted and len(wanted) == 1 else None


def get_object(s3: S3Request) -> Reply:
    stored = readable(s3, s3.bucket, s3.key)
    content = content_of(s3, stored)
    if conditions(s3.headers, content.etag, stored.timestamp):
        return _not_modified(stored, content)
    headers = object_headers(stored, content)
    for name in OVERRIDES:
        if name in s3.query:
            headers["-".join(p.capitalize() for p in name[9:].split("-"))] = s3.query[name]
    content_type = headers.setdefault("Content-Type", "application/octet-stream")
    wanted = _range(s3.headers.get("range"), content.size)
    if wanted is None:
        body: Iterator[bytes] | bytes = \
            content.read(stored, 0, content.size - 1) if content.size else b""
        return Reply(body, 200, headers, content_type=content_type)
    start, end = wanted
    headers.update({"Content-Range": f"bytes {start}-{end}/{content.size}",
                    "Content-Length": str(end - start + 1)})
    return Reply(content.read(stored, start, end), 206, headers, content_type=content_type)


def delete_object(s3: S3Request) -> Reply:
    bucket_info(s3)
    s3.svc.delete_live_object(s3.account, s3.bucket, s3.key)
    return Reply(None, 204)


# -- copy ---------------------------------------------------------------------------------
def copy_source(s3: S3Request) -> tuple[str, str]:
    value = unquote(s3.headers["x-amz-copy-source"].partition("?")[0]).lstrip("/")
    bucket, _sep, key = value.partition("/")
    if not bucket or not key:
        raise S3Error("InvalidArgument", "Copy Source must mention the source bucket and "
                      "key: sourcebucket/sourcekey")
    return bucket, key


def source_object(s3: S3Request) -> StoredObject:
    bucket, key = copy_source(s3)
    source = readable(s3, bucket, key)
    if conditions(s3.headers, s3_etag(source), source.timestamp, "x-amz-copy-source-"):
        raise S3Error("PreconditionFailed", Condition="x-amz-copy-source-If-None-Match")
    return source


def copy_object(s3: S3Request) -> Reply:
    bucket_info(s3)
    source = source_object(s3)
    directive = s3.headers.get("x-amz-metadata-directive", "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise S3Error("InvalidArgument", "Unknown metadata directive.")
    if directive == "COPY":
        if copy_source(s3) == (s3.bucket, s3.key):
            raise S3Error("InvalidRequest", "This copy request is illegal because it is "
                          "trying to copy an object to itself without changing the object's "
                          "metadata, storage class, website redirect location or encryption "
                          "attributes.")
        meta = {k: v for k, v in source.meta.items() if k.lower() in KEPT or
                k.startswith("X-Object-Meta-") or k.startswith(OBJ_SYSMETA)}
    else:
        meta = _request_meta(s3)
    content = content_of(s3, source)
    body = content.read(source, 0, content.size - 1) if content.size else iter([])
    stored = store(s3, s3.bucket, s3.key, body, meta)
    return xml_reply("CopyObjectResult", elem("LastModified", iso_time(stored.timestamp)) +
                     elem("ETag", f'"{s3_etag(stored)}"'))


# -- multi-delete -------------------------------------------------------------------------
def delete_objects(s3: S3Request, body: Iterable[bytes]) -> Reply:
    bucket_info(s3)
    doc = parse_xml(read_body(s3, body), "Delete")
    quiet = text(doc, "Quiet", "false").lower() == "true"
    keys = [text(node, "Key") for node in doc.findall("Object")]
    if not keys or len(keys) > 1000:
        raise S3Error("MalformedXML")
    out = []
    for key in keys:
        try:
            s3.svc.delete_live_object(s3.account, s3.bucket, key)
        except OSError:
            out.append(f"<Error>{elem('Key', key)}<Code>InternalError</Code>"
                       "<Message>The object could not be deleted</Message></Error>")
            continue
        if not quiet:
            out.append(f"<Deleted>{elem('Key', key)}</Deleted>")
    return xml_reply("DeleteResult", "".join(out))


# -- object tagging and ACL ---------------------------------------------------------------
def get_object_tagging(s3: S3Request) -> Reply:
    stored = readable(s3, s3.bucket, s3.key)
    return tagging_xml([tuple(t) for t in json.loads(  # type: ignore[misc]
        stored.meta.get(OBJ_SYSMETA + "Tagging", "[]"))])


def _update_meta(s3: S3Request, stored: StoredObject, name: str, value: str | None) -> None:
    meta = {k: v for k, v in stored.meta.items() if k != name}
    if value is not None:
        meta[name] = value
    s3.svc.post_object(s3.account, s3.bucket, s3.key, stored, meta)


def put_object_tagging(s3: S3Request, body: Iterable[bytes]) -> Reply:
    stored = readable(s3, s3.bucket, s3.key)
    tags = parse_tagging(read_body(s3, body))
    _update_meta(s3, stored, OBJ_SYSMETA + "Tagging", json.dumps(tags))
    return Reply(None, 200, {"Content-Length": "0"})


def delete_object_tagging(s3: S3Request) -> Reply:
    stored = readable(s3, s3.bucket, s3.key)
    _update_meta(s3, stored, OBJ_SYSMETA + "Tagging", None)
    return Reply(None, 204)


def get_object_acl(s3: S3Request) -> Reply:
    readable(s3, s3.bucket, s3.key)
    return acl_xml(s3, False)


def put_object_acl(s3: S3Request, body: Iterable[bytes]) -> Reply:
    readable(s3, s3.bucket, s3.key)
    read_body(s3, body)
    if s3.headers.get("x-amz-acl", "private") != "private":
        raise S3Error("NotImplemented", "Objects take the bucket's ACL; only private is "
                      "accepted")
    return Reply(None, 200, {"Content-Length": "0"})
