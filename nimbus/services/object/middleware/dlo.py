"""Dynamic large objects (Swift's dlo): GET/HEAD of an object with X-Object-Manifest
(``container/prefix``) answers the concatenation of the container's objects under the
prefix, in listing order; ``?multipart-manifest=get`` answers the manifest itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from nimbus.kernel.web import ApiRequest
from nimbus.services.object.middleware.segments import Segment, segments_etag, serve

MAX_SEGMENTS = 10000


def dlo(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    from nimbus.services.object.api.common import service
    from nimbus.services.object.api.objects import authorize_read

    params = req.path_params
    if req.method not in ("GET", "HEAD") or not params.get("obj") or \
            req.query.get("multipart-manifest") == "get":
        return app(req)
    account = params["account"]
    authorize_read(req, account, params["container"])
    svc = service(req)
    manifest = svc.head_object(account, params["container"], params["obj"])
    if manifest is None or "X-Object-Manifest" not in manifest.meta:
        return app(req)
    container, _, prefix = unquote(manifest.meta["X-Object-Manifest"]).partition("/")
    authorize_read(req, account, container)
    segments = []
    for entry in svc.list_objects(account, container, limit=MAX_SEGMENTS, prefix=prefix):
        stored = svc.head_object(account, container, entry["name"])
        if stored is not None:
            segments.append(Segment(stored))
    etag = segments_etag([s.stored.etag for s in segments])
    return serve(req, manifest, segments, etag, {}, head=req.method == "HEAD")
