"""Versioned writes (Swift's versioned_writes): in a container with X-Versions-Location, an
overwrite first copies the current object to ``<location>/<len:03x><name>/<timestamp>``
and a DELETE puts the newest copy back (stack mode); with X-History-Location a DELETE
copies the current object there and deletes it (history mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.store.diskfile import StoredObject, normal_timestamp, read_range


def version_prefix(obj: str) -> str:
    return f"{len(obj.encode()):03x}{obj}/"


def _chunks(stored: StoredObject) -> Any:
    return read_range(stored, 0, stored.size - 1) if stored.size else [b""]


def _archive(req: ApiRequest, location: str, obj: str, current: StoredObject) -> None:
    from nimbus.services.object.api.common import service

    account = req.path_params["account"]
    name = version_prefix(obj) + normal_timestamp(current.timestamp)
    service(req).put_object(account, location, name, _chunks(current), dict(current.meta))


def versioned_writes(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    from nimbus.services.object.api.common import service
    from nimbus.services.object.api.objects import authorize_write

    params = req.path_params
    if req.method not in ("PUT", "DELETE") or not params.get("obj") or \
            req.query.get("multipart-manifest") in ("put", "delete"):
        return app(req)
    account, container, obj = params["account"], params["container"], params["obj"]
    svc = service(req)
    info = svc.container_info(account, container)
    meta = info.metadata if info is not None else {}
    stack, history = meta.get("X-Versions-Location"), meta.get("X-History-Location")
    location = stack or history
    if not location or svc.container_info(account, location) is None:
        return app(req)
    authorize_write(req, account, container)
    authorize_write(req, account, location)
    current = svc.head_object(account, container, obj)
    if req.method == "PUT" or history:
        if current is not None:
            _archive(req, location, obj, current)
        return app(req)
    return _restore_newest(req, location, current)


def _restore_newest(req: ApiRequest, location: str, current: StoredObject | None) -> Any:
    """Stack mode DELETE: the newest archived version goes back in place of the object."""
    from nimbus.services.object.api.common import service
    from nimbus.services.object.errors import NotFound

    account, container, obj = (req.path_params[k] for k in ("account", "container", "obj"))
    svc = service(req)
    for entry in svc.list_objects(account, location, limit=10, prefix=version_prefix(obj),
                                  reverse=True):
        version = svc.head_object(account, location, entry["name"])
        if version is None:
            continue
        svc.put_object(account, container, obj, _chunks(version), dict(version.meta))
        svc.delete_object(account, location, entry["name"])
        return Reply(None, 204, {"Content-Type": "text/html; charset=UTF-8"})
    if current is None:
        raise NotFound()
    svc.delete_object(account, container, obj)
    return Reply(None, 204, {"Content-Type": "text/html; charset=UTF-8"})
