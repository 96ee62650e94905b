"""Account quotas (Swift's account_quotas): X-Account-Meta-Quota-Bytes and
X-Account-Quota-Count, set only by a reseller admin, refuse uploads past them with 413."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.object.errors import Forbidden, TooLarge
from nimbus.services.object.middleware.container_quotas import OVER, _limit, check_upload

QUOTA_HEADERS = ("x-account-meta-quota-bytes", "x-account-quota-bytes",
                 "x-account-quota-count", "x-remove-account-meta-quota-bytes",
                 "x-remove-account-quota-bytes", "x-remove-account-quota-count")


def _is_reseller(req: ApiRequest) -> bool:
    from nimbus.services.object.api.common import caller, service

    ctx = caller(req)
    return ctx.authenticated and bool({r.lower() for r in ctx.roles} &
                                      service(req).roles.reseller)


def account_quotas(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    from nimbus.services.object.api.common import service

    params = req.path_params
    if req.method == "POST" and not params.get("container"):
        if any(h in req.headers for h in QUOTA_HEADERS):
            if not _is_reseller(req):
                raise Forbidden()
            for key in QUOTA_HEADERS[:3]:
                _limit(req.headers.get(key), key.title())
        return app(req)
    if req.method != "PUT" or not params.get("obj") or "x-copy-from" in req.headers:
        return app(req)
    info = service(req).account_info(params["account"])
    meta = info.metadata
    count = _limit(meta.get("X-Account-Quota-Count"), "quota count")
    if count is not None and info.object_count + 1 > count:
        raise TooLarge(OVER)
    quota = _limit(meta.get("X-Account-Meta-Quota-Bytes") or meta.get("X-Account-Quota-Bytes"),
                   "quota bytes")
    check_upload(req, info.bytes_used, quota)
    return app(req)
