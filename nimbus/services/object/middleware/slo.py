"""Static large objects (Swift's slo): ``?multipart-manifest=put`` stores a checked list of
segments (path, etag, size_bytes, range); GET/HEAD answer their concatenation with
X-Static-Large-Object: True and the quoted md5 of the segments' ETags;
``?multipart-manifest=get`` answers the stored manifest, ``=delete`` removes the segments
and the manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.errors import BadRequest, Conflict, TooLarge
from nimbus.services.object.middleware.segments import Segment, segments_etag, serve
from nimbus.services.object.store.diskfile import StoredObject

MAX_MANIFEST_SEGMENTS = 1000
MAX_MANIFEST_SIZE = 8 * 1024 * 1024
SLO = "X-Static-Large-Object"


def slo(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    params = req.path_params
    if not params.get("obj"):
        return app(req)
    mode = req.query.get("multipart-manifest")
    if req.method == "PUT" and mode == "put":
        return put_manifest(req)
    if req.method == "DELETE" and mode == "delete":
        return delete_manifest(req, app)
    if req.method in ("GET", "HEAD") and mode != "get":
        return get_large(req, app)
    return app(req)


def _split(path: str) -> tuple[str, str]:
    container, sep, obj = path.lstrip("/").partition("/")
    if not sep or not container or not obj:
        raise BadRequest(f"Errors:\n{path}, Invalid segment path")
    return container, obj


def _read_body(req: ApiRequest) -> bytes:
    parts, size = [], 0
    for chunk in req.stream:
        size += len(chunk)
        if size > MAX_MANIFEST_SIZE:
            raise TooLarge(f"Manifest File > {MAX_MANIFEST_SIZE} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _parse(body: bytes) -> list[dict[str, Any]]:
    try:
        doc = json.loads(body)
    except ValueError:
        raise BadRequest("Manifest must be valid JSON.\n") from None
    if not isinstance(doc, list) or not all(isinstance(i, dict) and "path" in i for i in doc):
        raise BadRequest("Manifest must be a list of segments with a path.\n")
    if not doc:
        raise BadRequest("Manifest must have at least one segment.\n")
    if len(doc) > MAX_MANIFEST_SEGMENTS:
        raise BadRequest(f"Too many segments: more than {MAX_MANIFEST_SEGMENTS}.\n")
    return doc


def _check_segment(req: ApiRequest, account: str, item: dict[str, Any],
                   errors: list[str]) -> dict[str, Any] | None:
    from nimbus.services.object.api.common import service
    from nimbus.services.object.api.listing import iso
    from nimbus.services.object.api.objects import authorize_read

    path = str(item["path"])
    container, obj = _split(path)
    authorize_read(req, account, container)
    stored = service(req).head_object(account, container, obj)
    if stored is None:
        errors.append(f"{path}, 404 Not Found")
        return None
    etag, size = item.get("etag"), item.get("size_bytes")
    if etag is not None and str(etag).strip('"') != stored.etag:
        errors.append(f"{path}, Etag Mismatch")
    if size is not None and (not isinstance(size, int) or size != stored.size):
        errors.append(f"{path}, Size Mismatch")
    if stored.size < 1:
        errors.append(f"{path}, Too Small; each segment must be at least 1 byte.")
    entry = {"name": "/" + f"{container}/{obj}", "hash": stored.etag, "bytes": stored.size,
             "content_type": stored.meta.get("Content-Type", ""),
             "last_modified": iso(stored.timestamp)}
    if item.get("range"):
        entry["range"] = str(item["range"])
    return entry


def put_manifest(req: ApiRequest) -> Reply:
    from nimbus.services.object.api.objects import (
        _created,
        _object_meta,
        _store,
        authorize_write,
    )

    account, container, obj = (req.path_params[k] for k in ("account", "container", "obj"))
    authorize_write(req, account, container)
    errors: list[str] = []
    entries = [e for e in (_check_segment(req, account, item, errors)
                           for item in _parse(_read_body(req))) if e is not None]
    if errors:
        raise BadRequest("Errors:\n" + "\n".join(errors))
    segments = _segments_of(req, account, entries)
    etag = segments_etag([_etag_part(e) for e in entries])
    meta = {**_object_meta(req, obj), SLO: "True", "X-Object-Sysmeta-Slo-Etag": etag,
            "X-Object-Sysmeta-Slo-Size": str(sum(s.length for s in segments))}
    body = json.dumps(entries).encode()
    stored = _store(req, account, container, obj, [body], meta, None, len(body))
    reply = _created(stored)
    reply.headers["ETag"] = f'"{etag}"'
    return reply


def _etag_part(entry: dict[str, Any]) -> str:
    return f"{entry['hash']}:{entry['range']};" if entry.get("range") else entry["hash"]


def _range_of(text: str, size: int) -> tuple[int, int | None]:
    first, _, last = text.partition("-")
    if not first:
        return max(0, size - int(last)), None
    return int(first), int(last) if last else None


def _segments_of(req: ApiRequest, account: str, entries: list[dict[str, Any]]
                 ) -> list[Segment]:
    from nimbus.services.object.api.common import service

    out = []
    for entry in entries:
        container, obj = _split(entry["name"])
        stored = service(req).head_object(account, container, obj)
        if stored is None:
            raise Conflict(f"Segment {entry['name']} of the large object is missing")
        start, end = _range_of(entry["range"], stored.size) if entry.get("range") \
            else (0, None)
        out.append(Segment(stored, start, end))
    return out


def _manifest_of(req: ApiRequest) -> tuple[StoredObject, list[dict[str, Any]]] | None:
    from nimbus.services.object.api.common import service
    from nimbus.services.object.api.objects import authorize_read

    account, container, obj = (req.path_params[k] for k in ("account", "container", "obj"))
    authorize_read(req, account, container)
    stored = service(req).head_object(account, container, obj)
    if stored is None or stored.meta.get(SLO) != "True":
        return None
    with stored.open() as f:
        return stored, list(json.loads(f.read()))


def get_large(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    found = _manifest_of(req)
    if found is None:
        return app(req)
    stored, entries = found
    segments = _segments_of(req, req.path_params["account"], entries)
    etag = stored.meta.get("X-Object-Sysmeta-Slo-Etag") or \
        segments_etag([_etag_part(e) for e in entries])
    return serve(req, stored, segments, etag, {SLO: "True"}, head=req.method == "HEAD")


def delete_manifest(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    from nimbus.services.object.api.common import service
    from nimbus.services.object.api.objects import authorize_write

    account = req.path_params["account"]
    authorize_write(req, account, req.path_params["container"])
    found = _manifest_of(req)
    if found is None:
        return app(req)
    _stored, entries = found
    deleted = missing = 0
    for entry in entries:
        container, obj = _split(entry["name"])
        authorize_write(req, account, container)
        if service(req).delete_live_object(account, container, obj):
            deleted += 1
        else:
            missing += 1
    service(req).delete_object(account, req.path_params["container"], req.path_params["obj"])
    summary = {"Number Deleted": deleted + 1, "Number Not Found": missing,
               "Response Status": "200 OK", "Response Body": "", "Errors": []}
    if "json" in req.headers.get("accept", ""):
        return Reply(summary, 200, {}, content_type="application/json; charset=utf-8")
    text = "".join(f"{k}: {v if v != [] else ''}\n" for k, v in summary.items())
    return Reply(text.encode(), 200, {}, content_type="text/plain; charset=utf-8")
