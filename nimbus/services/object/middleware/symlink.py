"""Symlinks (Swift's symlink): a zero-byte PUT with X-Symlink-Target (``container/object``,
optionally X-Symlink-Target-Account) makes a link; GET/HEAD follow it (at most
``SYMLOOP_MAX`` links deep) and answer the target with Content-Location, ``?symlink=get``
answers the link itself with X-Symlink-Target. Listings show its ``symlink_path``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.errors import BadRequest, Conflict, PreconditionFailed

SYMLOOP_MAX = 2
TARGET = "X-Object-Sysmeta-Symlink-Target"
TARGET_ACCOUNT = "X-Object-Sysmeta-Symlink-Target-Account"


def _target(value: str) -> tuple[str, str]:
    container, sep, obj = unquote(value).lstrip("/").partition("/")
    if not sep or not container or not obj:
        raise PreconditionFailed("X-Symlink-Target header must be of the form "
                                 "<container name>/<object name>")
    return container, obj


def symlink(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    if not req.path_params.get("obj"):
        return app(req)
    if req.method == "PUT" and "x-symlink-target" in req.headers:
        return _put_link(req, app)
    if req.method in ("GET", "HEAD"):
        return _follow(req, app)
    return app(req)


def _put_link(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    from nimbus.services.object.api.common import service

    container, obj = _target(req.headers["x-symlink-target"])
    if req.headers.get("content-length", "0") != "0" or "x-copy-from" in req.headers:
        raise BadRequest("Symlink requests require a zero byte body")
    account = req.headers.get("x-symlink-target-account", req.path_params["account"])
    etag = req.headers.get("x-symlink-target-etag")
    if etag is not None:
        target = service(req).head_object(account, container, obj)
        if target is None or target.etag != etag.strip('"'):
            raise Conflict(f"Object Etag {target.etag if target else ''!r} does not match "
                           f"X-Symlink-Target-Etag header {etag!r}")
    req.memo["sysmeta"] = {TARGET: f"{container}/{obj}", TARGET_ACCOUNT: account}
    return app(req)


def _follow(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    from nimbus.services.object.api.common import service
    from nimbus.services.object.api.objects import authorize_read

    params = req.path_params
    authorize_read(req, params["account"], params["container"])
    stored = service(req).head_object(params["account"], params["container"], params["obj"])
    if stored is None or TARGET not in stored.meta:
        return app(req)
    if req.query.get("symlink") == "get":
        reply = app(req)
        if isinstance(reply, Reply):
            reply.headers.update(_link_headers(stored.meta))
        return reply
    for _hop in range(SYMLOOP_MAX):
        account = stored.meta.get(TARGET_ACCOUNT, params["account"])
        container, obj = _target(stored.meta[TARGET])
        authorize_read(req, account, container)
        req.path_params.update(account=account, container=container, obj=obj)
        found = service(req).head_object(account, container, obj)
        if found is None or TARGET not in found.meta:
            reply = app(req)
            if isinstance(reply, Reply):
                reply.headers["Content-Location"] = quote(f"/v1/{account}/{container}/{obj}")
            return reply
        stored = found
    raise Conflict("Too many levels of symbolic links, maximum allowed is "
                   f"{SYMLOOP_MAX}")


def _link_headers(meta: dict[str, str]) -> dict[str, str]:
    return {"X-Symlink-Target": quote(meta[TARGET]),
            "X-Symlink-Target-Account": quote(meta.get(TARGET_ACCOUNT, ""))}
