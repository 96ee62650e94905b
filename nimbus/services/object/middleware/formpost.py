"""Form uploads (Swift's formpost): a POST of multipart/form-data to ``container[/prefix]``
whose fields (redirect, max_file_size, max_file_count, expires, signature) are signed with a
temp-url key (HMAC over ``path\\nredirect\\nmax_file_size\\nmax_file_count\\nexpires``) stores
each file part as ``prefix + filename``, without a token."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.errors import BadRequest, TooLarge, Unauthorized
from nimbus.services.object.middleware.tempurl import DIGESTS, _keys, _signature

# The whole form is read before it is judged; past this it is refused.
MAX_FORM_BYTES = 64 << 20
FIELDS = ("redirect", "max_file_size", "max_file_count", "expires", "signature")


def _parts(body: bytes, boundary: bytes) -> list[tuple[dict[str, str], bytes]]:
    """(headers, content) of each part of a multipart body."""
    out = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        out.append((headers, content.removesuffix(b"\r\n")))
    return out


def _disposition(value: str) -> dict[str, str]:
    params = {}
    for item in value.split(";")[1:]:
        key, _, raw = item.strip().partition("=")
        params[key.lower()] = raw.strip('"')
    return params


def formpost(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    media = req.headers.get("content-type", "")
    if req.method != "POST" or not req.path_params.get("container") or \
            not media.lower().startswith("multipart/form-data"):
        return app(req)
    boundary = _disposition(media).get("boundary", "")
    if not boundary:
        raise BadRequest("FormPost: invalid starting boundary")
    body = b""
    for chunk in req.stream:
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise TooLarge("FormPost: max_file_size exceeded")
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    for headers, content in _parts(body, boundary.encode()):
        params = _disposition(headers.get("content-disposition", ""))
        if "filename" in params:
            files.append((params["filename"], headers.get("content-type", ""), content))
        elif params.get("name") in FIELDS and not files:
            fields[params["name"]] = content.decode("utf-8", "replace")
    _check(req, fields)
    return _store(req, fields, files)


def _check(req: ApiRequest, fields: dict[str, str]) -> None:
    try:
        expires = int(fields.get("expires", ""))
    except ValueError:
        raise Unauthorized("FormPost: expired not an integer") from None
    if expires < time.time():
        raise Unauthorized("FormPost: Form Expired")
    name, raw = _signature(fields.get("signature", ""))
    if name not in DIGESTS:
        raise Unauthorized("FormPost: Invalid Signature")
    params = req.path_params
    tail = f"/v1/{params['account']}/{params['container']}"
    if params.get("obj"):
        tail += f"/{params['obj']}"
    paths = {t for raw_tail in (tail, quote(tail)) for t in (req.api.prefix + raw_tail,
                                                             raw_tail)}
    message_tail = "\n".join(fields.get(k, "") for k in FIELDS[:4])
    for key in _keys(req, params["account"], params["container"]):
        for path in paths:
            good = hmac.new(key.encode(), f"{path}\n{message_tail}".encode(),
                            DIGESTS[name]).digest()
            if hmac.compare_digest(good, raw):
                return
    raise Unauthorized("FormPost: Invalid Signature")


def _store(req: ApiRequest, fields: dict[str, str], files: list[tuple[str, str, bytes]]
           ) -> Reply:
    from nimbus.services.object.api.common import check_names, service

    params = req.path_params
    max_size = int(fields.get("max_file_size") or 0)
    max_count = int(fields.get("max_file_count") or 0)
    if len(files) > max_count:
        raise BadRequest("FormPost: max_file_count exceeded")
    for filename, media, content in files:
        if len(content) > max_size:
            raise BadRequest("FormPost: max_file_size exceeded")
        obj = (params.get("obj") or "") + filename
        check_names({"account": params["account"], "container": params["container"],
                     "obj": obj})
        meta = {"Content-Type": media or "application/octet-stream"}
        service(req).put_object(params["account"], params["container"], obj, [content], meta)
    redirect = fields.get("redirect")
    if redirect:
        sep = "&" if "?" in redirect else "?"
        return Reply(None, 303, {"Location": f"{redirect}{sep}status=201&message=",
                                 "Content-Type": "text/html; charset=UTF-8"})
    return Reply(b"<h1>201 Created</h1>", 201, {}, content_type="text/html; charset=UTF-8")
