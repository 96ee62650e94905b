"""Bulk operations (Swift's bulk): ``?extract-archive=tar|tar.gz|tar.bz2`` on a PUT unpacks
a streamed archive into containers and objects; ``?bulk-delete`` on a DELETE or POST
removes the newline-separated ``container[/object]`` paths of its body. Both answer 200
with a summary (plain text, or JSON when the client accepts it)."""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from nimbus.kernel.errors import CloudError
from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.errors import BadRequest, TooLarge

MAX_DELETES = 10000
MAX_DELETE_BODY = MAX_DELETES * 1100
FORMATS = {"tar": "r|", "tar.gz": "r|gz", "tar.bz2": "r|bz2"}


class StreamFile:
    """A read()-able view of a request body stream (tarfile's streaming mode)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def bulk(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    if req.method == "PUT" and "extract-archive" in req.query:
        return extract_archive(req)
    if req.method in ("DELETE", "POST") and "bulk-delete" in req.query and \
            not req.path_params.get("container"):
        return bulk_delete(req)
    return app(req)


def summary(req: ApiRequest, fields: dict[str, Any]) -> Reply:
    if "json" in req.headers.get("accept", ""):
        return Reply(fields, 200, {}, content_type="application/json; charset=utf-8")
    text = "".join(f"{k}: {_text(v)}\n" for k, v in fields.items())
    return Reply(text.encode(), 200, {}, content_type="text/plain; charset=utf-8")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(f"{name}, {status}" for name, status in value)
    return str(value)


def _paths(body: bytes) -> list[str]:
    lines = [unquote(line.strip()) for line in body.decode("utf-8", "replace").splitlines()]
    paths = [line.lstrip("/") for line in lines if line.strip()]
    if len(paths) > MAX_DELETES:
        raise TooLarge(f"Maximum Bulk Deletes: {MAX_DELETES} per request")
    return paths


def bulk_delete(req: ApiRequest) -> Reply:
    from nimbus.services.object.api.common import service
    from nimbus.services.object.api.objects import authorize_write

    account = req.path_params["account"]
    body = b""
    for chunk in req.stream:
        body += chunk
        if len(body) > MAX_DELETE_BODY:
            raise TooLarge("Bulk delete body too large")
    deleted = missing = 0
    errors: list[tuple[str, str]] = []
    for path in _paths(body):
        container, _, obj = path.partition("/")
        try:
            authorize_write(req, account, container)
            if obj:
                found = service(req).delete_live_object(account, container, obj)
            else:
                result = service(req).delete_container(account, container)
                if result == "not empty":
                    errors.append((path, "409 Conflict"))
                    continue
                found = result == "deleted"
        except CloudError as err:
            errors.append((path, f"{err.status} {err.phrase}"))
            continue
        deleted, missing = deleted + found, missing + (not found)
    status = "400 Bad Request" if errors else "200 OK"
    return summary(req, {"Number Deleted": deleted, "Number Not Found": missing,
                         "Response Body": "", "Response Status": status, "Errors": errors})


def extract_archive(req: ApiRequest) -> Reply:
    fmt = req.query.get("extract-archive", "")
    if fmt not in FORMATS:
        raise BadRequest("Unsupported archive format")
    base = "/".join(p for p in (req.path_params.get("container"),
                                req.path_params.get("obj")) if p)
    created = 0
    errors: list[tuple[str, str]] = []
    try:
        opener: Any = tarfile.open  # (its overloads want a literal mode)
        with opener(mode=FORMATS[fmt], fileobj=StreamFile(iter(req.stream))) as tar:
            for member in tar:
                if not member.isfile():
                    continue
                path = "/".join(p for p in (base, member.name.lstrip("./")) if p)
                source = tar.extractfile(member)
                if source is None:
                    continue
                try:
                    _put_member(req, path, source.read(), member.size)
                    created += 1
                except CloudError as err:
                    errors.append((path, f"{err.status} {err.phrase}"))
    except tarfile.TarError:
        raise BadRequest("Invalid Tar File: not a tar archive") from None
    status = "400 Bad Request" if errors else "201 Created"
    return summary(req, {"Number Files Created": created, "Response Body": "",
                         "Response Status": status, "Errors": errors})


def _put_member(req: ApiRequest, path: str, data: bytes, size: int) -> None:
    import mimetypes

    from nimbus.services.object.api.common import check_names, service
    from nimbus.services.object.api.objects import authorize_write

    account = req.path_params["account"]
    container, _, obj = path.partition("/")
    if not obj:
        raise BadRequest("Object name missing")
    check_names({"account": account, "container": container, "obj": obj})
    authorize_write(req, account, container)
    svc = service(req)
    if svc.container_info(account, container) is None:
        svc.create_container(account, container, {})
    meta = {"Content-Type": mimetypes.guess_type(obj)[0] or "application/octet-stream"}
    svc.put_object(account, container, obj, [data], meta, expected_size=size)
