"""Multipart uploads. Parts are objects of the ``<bucket>+segments`` container (as Swift's
s3api keeps them): ``<key>/<upload id>`` marks the upload (and keeps the final object's
headers), ``<key>/<upload id>/<part, 5 digits>`` holds each part. Completing concatenates
the parts, server-side, into one plain object under the key, then drops the segments: both
APIs then read one ordinary object (no manifest for Swift's GET, the S3 GET, the replicator
and the expirer to follow), at the cost of one more pass over the data at completion. Its
S3 ETag, md5 of the parts' md5s + "-N", rides in the object's system metadata."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator

from nimbus.kernel.web import Reply
from nimbus.services.object.s3.common import (
    OBJ_SYSMETA,
    SEGMENTS,
    S3Request,
    bucket_info,
    elem,
    listing_time,
    owner_xml,
    parse_xml,
    read_body,
    text,
    xml_reply,
)
from nimbus.services.object.s3.errors import S3Error
from nimbus.services.object.s3.objects import (
    _request_meta,
    content_md5,
    source_object,
    store,
)
from nimbus.services.object.store.diskfile import StoredObject, read_range

UPLOAD_TYPE = "application/x-nimbus-s3-upload"
MIN_PART = 5 * 1024 * 1024
MAX_PARTS = 10000


def _segments(s3: S3Request) -> str:
    return s3.bucket + SEGMENTS


def _upload(s3: S3Request) -> tuple[str, StoredObject]:
    upload_id = s3.query.get("uploadId", "")
    marker = s3.svc.head_object(s3.account, _segments(s3), f"{s3.key}/{upload_id}") \
        if upload_id and "/" not in upload_id else None
    if marker is None or marker.meta.get("Content-Type") != UPLOAD_TYPE:
        raise S3Error("NoSuchUpload", UploadId=upload_id)
    return upload_id, marker


def create_upload(s3: S3Request, body: Iterable[bytes]) -> Reply:
    bucket_info(s3)
    read_body(s3, body)
    segments = _segments(s3)
    if s3.svc.container_info(s3.account, segments) is None:
        s3.svc.create_container(s3.account, segments, {})
    upload_id = uuid.uuid4().hex
    meta = {("X-Object-Sysmeta-S3-Final-" + k if not k.startswith("X-Object-Meta-") else k): v
            for k, v in _request_meta(s3).items()}
    meta["Content-Type"] = UPLOAD_TYPE
    store(s3, segments, f"{s3.key}/{upload_id}", [], meta)
    return xml_reply("InitiateMultipartUploadResult", elem("Bucket", s3.bucket) +
                     elem("Key", s3.key) + elem("UploadId", upload_id))


def _part_number(s3: S3Request) -> int:
    raw = s3.query.get("partNumber", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PARTS:
        raise S3Error("InvalidArgument", "Part number must be an integer between 1 and "
                      "10000, inclusive", ArgumentName="partNumber", ArgumentValue=raw)
    return int(raw)


def upload_part(s3: S3Request, body: Iterable[bytes]) -> Reply:
    upload_id, _marker = _upload(s3)
    number = _part_number(s3)
    name = f"{s3.key}/{upload_id}/{number:05d}"
    if "x-amz-copy-source" in s3.headers:
        return _upload_part_copy(s3, name)
    stored = store(s3, _segments(s3), name, body, {"Content-Type": "application/octet-stream"},
                   content_md5(s3))
    return Reply(None, 200, {"ETag": f'"{stored.etag}"', "Content-Length": "0"})


def _upload_part_copy(s3: S3Request, name: str) -> Reply:
    source = source_object(s3)
    start, end = 0, source.size - 1
    wanted = s3.headers.get("x-amz-copy-source-range")
    if wanted:
        try:
            first, _sep, last = wanted.strip().removeprefix("bytes=").partition("-")
            start, end = int(first), int(last)
        except ValueError:
            raise S3Error("InvalidArgument", "The x-amz-copy-source-range value must be of "
                          "the form bytes=first-last") from None
        if not 0 <= start <= end < source.size:
            raise S3Error("InvalidRange")
    data: Iterable[bytes] = read_range(source, start, end) if source.size else []
    stored = store(s3, _segments(s3), name, data, {"Content-Type": "application/octet-stream"})
    return xml_reply("CopyPartResult", elem("LastModified", listing_time(
        _iso(stored.timestamp)) + "Z") + elem("ETag", f'"{stored.etag}"'))


def _iso(timestamp: str) -> str:
    from nimbus.services.object.s3.common import iso_time

    return iso_time(timestamp)[:-1]


def _parts(s3: S3Request, upload_id: str, marker: int = 0, limit: int = MAX_PARTS
           ) -> list[dict[str, object]]:
    prefix = f"{s3.key}/{upload_id}/"
    rows = s3.svc.list_objects(s3.account, _segments(s3), limit=limit, prefix=prefix,
                               marker=f"{prefix}{marker:05d}" if marker else "")
    return [{**r, "number": int(str(r["name"])[len(prefix):])} for r in rows
            if str(r["name"])[len(prefix):].isdigit()]


def list_parts(s3: S3Request) -> Reply:
    upload_id, _marker = _upload(s3)
    raw_marker = s3.query.get("part-number-marker", "0")
    raw_max = s3.query.get("max-parts", "1000")
    if not raw_marker.isdigit() or not raw_max.isdigit():
        raise S3Error("InvalidArgument", "part-number-marker and max-parts are integers")
    limit = min(int(raw_max), 1000)
    rows = _parts(s3, upload_id, int(raw_marker), limit + 1)
    truncated = len(rows) > limit
    rows = rows[:limit]
    parts = "".join(
        f"<Part>{elem('PartNumber', r['number'])}"
        f"{elem('LastModified', listing_time(str(r['last_modified'])) + 'Z')}"
        f"{elem('ETag', chr(34) + str(r['hash']) + chr(34))}{elem('Size', r['bytes'])}</Part>"
        for r in rows)
    inner = (elem("Bucket", s3.bucket) + elem("Key", s3.key) + elem("UploadId", upload_id) +
             owner_xml(s3).replace("Owner>", "Initiator>") + owner_xml(s3) +
             "<StorageClass>STANDARD</StorageClass>" +
             elem("PartNumberMarker", int(raw_marker)) +
             elem("NextPartNumberMarker", rows[-1]["number"] if rows else 0) +
             elem("MaxParts", limit) + elem("IsTruncated", str(truncated).lower()))
    return xml_reply("ListPartsResult", inner + parts)


def list_uploads(s3: S3Request) -> Reply:
    bucket_info(s3)
    prefix = s3.query.get("prefix", "")
    key_marker = s3.query.get("key-marker", "")
    rows = s3.svc.list_objects(s3.account, _segments(s3), limit=10000, prefix=prefix,
                               marker=key_marker + "/" + chr(0x10FFFF) if key_marker else "")
    uploads = [r for r in rows if r.get("content_type") == UPLOAD_TYPE]
    raw_max = s3.query.get("max-uploads", "1000")
    limit = min(int(raw_max), 1000) if raw_max.isdigit() else 1000
    truncated = len(uploads) > limit
    uploads = uploads[:limit]
    items = "".join(
        f"<Upload>{elem('Key', str(r['name']).rpartition('/')[0])}"
        f"{elem('UploadId', str(r['name']).rpartition('/')[2])}"
        f"{owner_xml(s3).replace('Owner>', 'Initiator>')}{owner_xml(s3)}"
        "<StorageClass>STANDARD</StorageClass>"
        f"{elem('Initiated', listing_time(str(r['last_modified'])) + 'Z')}</Upload>"
        for r in uploads)
    inner = (elem("Bucket", s3.bucket) + elem("KeyMarker", key_marker) +
             elem("UploadIdMarker", s3.query.get("upload-id-marker", "")) +
             elem("Prefix", prefix) + elem("MaxUploads", limit) +
             elem("IsTruncated", str(truncated).lower()))
    if truncated and uploads:
        last = str(uploads[-1]["name"])
        inner += elem("NextKeyMarker", last.rpartition("/")[0]) + \
            elem("NextUploadIdMarker", last.rpartition("/")[2])
    return xml_reply("ListMultipartUploadsResult", inner + items)


def _requested(data: bytes) -> list[tuple[int, str]]:
    doc = parse_xml(data, "CompleteMultipartUpload")
    out = []
    for node in doc.findall("Part"):
        number = text(node, "PartNumber")
        if not number.isdigit():
            raise S3Error("MalformedXML")
        out.append((int(number), text(node, "ETag").strip('"')))
    if not out:
        raise S3Error("MalformedXML")
    if any(b[0] <= a[0] for a, b in zip(out, out[1:], strict=False)):
        raise S3Error("InvalidPartOrder")
    return out


def _chain(parts: list[StoredObject]) -> Iterator[bytes]:
    for part in parts:
        if part.size:
            yield from read_range(part, 0, part.size - 1)


def complete_upload(s3: S3Request, body: Iterable[bytes]) -> Reply:
    upload_id, marker = _upload(s3)
    wanted = _requested(read_body(s3, body))
    segments = _segments(s3)
    parts: list[StoredObject] = []
    for number, etag in wanted:
        part = s3.svc.head_object(s3.account, segments, f"{s3.key}/{upload_id}/{number:05d}")
        if part is None or part.etag != etag:
            raise S3Error("InvalidPart", PartNumber=str(number), ETag=etag)
        parts.append(part)
    if any(p.size < MIN_PART for p in parts[:-1]):
        raise S3Error("EntityTooSmall")
    digest = hashlib.md5(b"".join(bytes.fromhex(p.etag) for p in parts),  # noqa: S324
                         usedforsecurity=False)
    final_etag = f"{digest.hexdigest()}-{len(parts)}"
    meta = {k.removeprefix("X-Object-Sysmeta-S3-Final-"): v for k, v in marker.meta.items()
            if k.startswith(("X-Object-Sysmeta-S3-Final-", "X-Object-Meta-"))}
    meta[OBJ_SYSMETA + "Etag"] = final_etag
    store(s3, s3.bucket, s3.key, _chain(parts), meta)
    _drop(s3, upload_id)
    location = f"{s3.req.base_url}/{s3.bucket}/{s3.key}"
    return xml_reply("CompleteMultipartUploadResult", elem("Location", location) +
                     elem("Bucket", s3.bucket) + elem("Key", s3.key) +
                     elem("ETag", f'"{final_etag}"'))


def _drop(s3: S3Request, upload_id: str) -> None:
    segments = _segments(s3)
    for row in _parts(s3, upload_id):
        s3.svc.delete_live_object(s3.account, segments, str(row["name"]))
    s3.svc.delete_live_object(s3.account, segments, f"{s3.key}/{upload_id}")


def abort_upload(s3: S3Request) -> Reply:
    upload_id, _marker = _upload(s3)
    _drop(s3, upload_id)
    return Reply(None, 204)
