"""Container quotas (Swift's container_quotas): X-Container-Meta-Quota-Bytes and
X-Container-Meta-Quota-Count refuse uploads past them with 413."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.object.errors import BadRequest, TooLarge

OVER = "Upload exceeds quota."


def _limit(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise BadRequest(f"Invalid {name} value")
    return int(value)


def limited(stream: Iterator[bytes], room: int) -> Iterator[bytes]:
    """The upload, cut off with 413 once it passes ``room`` bytes (chunked uploads)."""
    seen = 0
    for chunk in stream:
        seen += len(chunk)
        if seen > room:
            raise TooLarge(OVER)
        yield chunk


def check_upload(req: ApiRequest, used: int, quota: int | None) -> None:
    """413 now for a declared length over the quota; a chunked one is counted as it comes."""
    if quota is None:
        return
    room = quota - used
    declared = req.headers.get("content-length")
    if declared is not None and declared.isdigit():
        if int(declared) > room:
            raise TooLarge(OVER)
        return
    req.stream = limited(req.stream, room)


def container_quotas(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    from nimbus.services.object.api.common import service

    params = req.path_params
    if req.method == "PUT" and params.get("obj") is None and params.get("container"):
        for key in ("x-container-meta-quota-bytes", "x-container-meta-quota-count"):
            _limit(req.headers.get(key), key.title())
    if req.method != "PUT" or not params.get("obj") or "x-copy-from" in req.headers:
        return app(req)
    info = service(req).container_info(params["account"], params["container"])
    if info is not None:
        count = _limit(info.metadata.get("X-Container-Meta-Quota-Count"), "quota count")
        if count is not None and info.object_count + 1 > count:
            raise TooLarge(OVER)
        quota = _limit(info.metadata.get("X-Container-Meta-Quota-Bytes"), "quota bytes")
        check_upload(req, info.bytes_used, quota)
    return app(req)
