"""Object: PUT (also X-Copy-From) / GET / HEAD / POST / DELETE / COPY."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from urllib.parse import quote, unquote

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.acl import container_read_allowed, container_write_allowed, deny
from nimbus.services.object.api import ranges
from nimbus.services.object.api.common import (
    account_level,
    caller,
    http_date,
    require_account,
    service,
    timestamp_headers,
)
from nimbus.services.object.constraints import (
    MAX_CONTAINER_NAME_LENGTH,
    MAX_OBJECT_NAME_LENGTH,
    check_metadata,
    check_name,
    check_upload_length,
    delete_at_of,
)
from nimbus.services.object.errors import (
    BadRequest,
    NotFound,
    PreconditionFailed,
    TooLarge,
    Unprocessable,
)
from nimbus.services.object.service import ALLOWED_HEADERS, ContainerMissing, title
from nimbus.services.object.store.diskfile import (
    EtagMismatch,
    SizeExceeded,
    StoredObject,
    read_range,
)

HTML = "text/html; charset=UTF-8"
COPIED = ("content-type", "content-encoding", "content-disposition", "content-language",
          "cache-control", "expires", "x-robots-tag", "x-object-manifest")


def names(req: ApiRequest) -> tuple[str, str, str]:
    account = req.path_params["account"]
    require_account(account)
    return account, req.path_params["container"], req.path_params["obj"]


def authorize_read(req: ApiRequest, account: str, container: str) -> None:
    if req.memo.get("tempurl") == (account, container) or \
            account_level(req, account) is not None:
        return
    ctx = caller(req)
    info = service(req).container_info(account, container)
    if info is None or not container_read_allowed(
            ctx, info.metadata.get("X-Container-Read", ""), req.headers.get("referer"),
            listing=False):
        raise deny(ctx)


def authorize_write(req: ApiRequest, account: str, container: str) -> None:
    if req.memo.get("tempurl") == (account, container) or \
            account_level(req, account) in ("owner", "admin", "read-write"):
        return
    ctx = caller(req)
    info = service(req).container_info(account, container)
    if info is None or not container_write_allowed(
            ctx, info.metadata.get("X-Container-Write", "")):
        raise deny(ctx)


def object_headers(stored: StoredObject) -> dict[str, str]:
    """The stored headers, without system metadata (never shown, as Swift's sysmeta)."""
    shown = {k: v for k, v in stored.meta.items() if not k.startswith("X-Object-Sysmeta-")}
    return {**shown, "ETag": stored.etag, "Accept-Ranges": "bytes",
            "Content-Length": str(stored.size), **timestamp_headers(stored.timestamp)}


def _readable_object(req: ApiRequest) -> StoredObject:
    account, container, obj = names(req)
    authorize_read(req, account, container)
    stored = service(req).head_object(account, container, obj)
    if stored is None:
        raise NotFound()
    return stored


def head_object(req: ApiRequest) -> Reply:
    stored = _readable_object(req)
    headers = object_headers(stored)
    if ranges.not_modified(req.headers, stored):
        return _not_modified(headers)
    return Reply(None, 200, headers)


def _not_modified(headers: dict[str, str]) -> Reply:
    kept: dict[str, str] = {k: headers[k] for k in ("ETag", "Last-Modified", "X-Timestamp")
                            if k in headers}
    return Reply(None, 304, {**kept, "Content-Length": "0"})


def get_object(req: ApiRequest) -> Reply:
    stored = _readable_object(req)
    headers = object_headers(stored)
    if ranges.not_modified(req.headers, stored):
        return _not_modified(headers)
    content_type = stored.meta.get("Content-Type", "application/octet-stream")
    wanted = ranges.parse_ranges(req.headers.get("range"), stored.size)
    if wanted is None:
        return Reply(read_range(stored, 0, stored.size - 1) if stored.size else b"", 200,
                     headers, content_type=content_type)
    if len(wanted) == 1:
        start, end = wanted[0]
        headers.update({"Content-Range": f"bytes {start}-{end}/{stored.size}",
                        "Content-Length": str(end - start + 1)})
        return Reply(read_range(stored, start, end), 206, headers, content_type=content_type)
    body, length, boundary = ranges.multipart(stored, wanted, content_type)
    media = f"multipart/byteranges;boundary={boundary}"
    headers.update({"Content-Length": str(length), "Content-Type": media})
    return Reply(body, 206, headers, content_type=media)


def _object_meta(req: ApiRequest, obj: str, base: dict[str, str] | None = None
                 ) -> dict[str, str]:
    """What a PUT (or a copy, over ``base``) keeps: Content-Type, the allowed headers,
    X-Object-Meta-*, X-Delete-At."""
    check_metadata(req.headers, "object")
    meta = dict(base or {})
    if base is not None and req.headers.get("x-fresh-metadata", "").lower() in ("true", "1"):
        meta = {k: v for k, v in meta.items() if k == "Content-Type"}
    for key, value in req.headers.items():
        if key.startswith("x-object-meta-") or key in ALLOWED_HEADERS:
            meta[title(key)] = value
    meta.pop("X-Delete-At", None)
    delete_at = delete_at_of(req.headers)
    if delete_at is not None:
        meta["X-Delete-At"] = str(delete_at)
    manifest = meta.get("X-Object-Manifest")
    if manifest is not None:
        _check_manifest(manifest)
    content_type = req.headers.get("content-type")
    if content_type:
        meta["Content-Type"] = content_type
    elif "Content-Type" not in meta:
        meta["Content-Type"] = mimetypes.guess_type(obj)[0] or "application/octet-stream"
    # An empty X-Object-Meta-* value is kept (Swift stores it); other empty headers go.
    return {k: v for k, v in meta.items()
            if v != "" or k == "Content-Type" or k.startswith("X-Object-Meta-")}


def _check_manifest(value: str) -> None:
    container, sep, _prefix = unquote(value).lstrip("/").partition("/")
    if not sep or not container or value.startswith("/") or "?" in value or "&" in value:
        raise BadRequest("X-Object-Manifest must be in the format container/prefix")


def _check_if_none_match(req: ApiRequest, account: str, container: str, obj: str) -> None:
    value = req.headers.get("if-none-match")
    if value is None:
        return
    if value.strip() != "*":
        raise BadRequest("If-None-Match only supports *")
    if service(req).head_object(account, container, obj) is not None:
        raise PreconditionFailed()


def _store(req: ApiRequest, account: str, container: str, obj: str, chunks: Iterable[bytes],
           meta: dict[str, str], etag: str | None, size: int | None) -> StoredObject:
    try:
        return service(req).put_object(account, container, obj, chunks, meta,
                                       expected_etag=etag, expected_size=size)
    except ContainerMissing:
        raise NotFound() from None
    except EtagMismatch:
        raise Unprocessable() from None
    except SizeExceeded:
        raise TooLarge("Your request is too large.") from None


def _created(stored: StoredObject, extra: dict[str, str] | None = None) -> Reply:
    headers = {"ETag": stored.etag, "Last-Modified": http_date(stored.timestamp),
               "X-Timestamp": timestamp_headers(stored.timestamp)["X-Timestamp"],
               "Content-Type": HTML, "Content-Length": "0", **(extra or {})}
    return Reply(None, 201, headers)


def put_object(req: ApiRequest) -> Reply:
    account, container, obj = names(req)
    authorize_write(req, account, container)
    source = req.headers.get("x-copy-from")
    if source is not None:
        src_account = req.headers.get("x-copy-from-account", account)
        return _copy(req, (src_account, *_split_source(source, "X-Copy-From")),
                     (account, container, obj))
    size = check_upload_length(req.headers)
    # System metadata a middleware adds (symlink targets), never taken from the client.
    meta = {**_object_meta(req, obj), **req.memo.get("sysmeta", {})}
    _check_if_none_match(req, account, container, obj)
    if service(req).container_info(account, container) is None:
        raise NotFound()
    stored = _store(req, account, container, obj, req.stream, meta,
                    req.headers.get("etag"), size)
    return _created(stored)


def _split_source(value: str, header: str) -> tuple[str, str]:
    path = unquote(value)
    container, sep, obj = path.lstrip("/").partition("/") if path.startswith("/") \
        else path.partition("/")
    if not sep or not container or not obj:
        raise PreconditionFailed(f"{header} header must be of the form "
                                 "<container name>/<object name>")
    check_name(container, "Container", MAX_CONTAINER_NAME_LENGTH)
    check_name(obj, "Object", MAX_OBJECT_NAME_LENGTH)
    return container, obj


def _copy(req: ApiRequest, src: tuple[str, str, str], dest: tuple[str, str, str]) -> Reply:
    src_account, src_container, src_obj = src
    authorize_read(req, src_account, src_container)
    source = service(req).head_object(*src)
    if source is None:
        raise NotFound()
    base = {k: v for k, v in source.meta.items()
            if k.lower() in COPIED or k.lower().startswith("x-object-meta-")}
    meta = _object_meta(req, dest[2], base)
    stored = _store(req, *dest, read_range(source, 0, source.size - 1) if source.size else [],
                    meta, None, None)
    return _created(stored, {
        "X-Copied-From": quote(f"{src_container}/{src_obj}"),
        "X-Copied-From-Account": quote(src_account),
        "X-Copied-From-Last-Modified": http_date(source.timestamp),
        **{k: v for k, v in meta.items() if k.startswith("X-Object-Meta-")}})


def copy_object(req: ApiRequest) -> Reply:
    account, container, obj = names(req)
    authorize_read(req, account, container)
    destination = req.headers.get("destination")
    if destination is None:
        raise PreconditionFailed("Destination header required")
    dest_container, dest_obj = _split_source(destination, "Destination")
    dest_account = req.headers.get("destination-account", account)
    require_account(dest_account)
    authorize_write(req, dest_account, dest_container)
    if service(req).container_info(dest_account, dest_container) is None:
        raise NotFound()
    return _copy(req, (account, container, obj), (dest_account, dest_container, dest_obj))


def post_object(req: ApiRequest) -> Reply:
    account, container, obj = names(req)
    authorize_write(req, account, container)
    check_metadata(req.headers, "object")
    svc = service(req)
    current = svc.head_object(account, container, obj)
    if current is None:
        raise NotFound()
    updates: dict[str, str] = {}
    for key, value in req.headers.items():
        if key.startswith("x-object-meta-") or (key in ALLOWED_HEADERS and value != ""):
            updates[title(key)] = value
    updates.pop("X-Delete-At", None)
    delete_at = delete_at_of(req.headers)
    if delete_at is not None:
        updates["X-Delete-At"] = str(delete_at)
    if "X-Object-Manifest" in updates:
        _check_manifest(updates["X-Object-Manifest"])
    if req.headers.get("content-type"):
        updates["Content-Type"] = req.headers["content-type"]
    svc.post_object(account, container, obj, current, updates)
    return Reply(b"<html><h1>Accepted</h1><p>The request is accepted for processing.</p>"
                 b"</html>", 202, {}, content_type=HTML)


def delete_object(req: ApiRequest) -> Reply:
    account, container, obj = names(req)
    authorize_write(req, account, container)
    if not service(req).delete_live_object(account, container, obj):
        raise NotFound()
    return Reply(None, 204, {"Content-Type": HTML})
