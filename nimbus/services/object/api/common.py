"""What every Swift handler shares: the caller's identity (an X-Auth-Token when there is one,
anonymous otherwise, as keystoneauth's delay_auth_decision), the answer's Swift headers
(X-Trans-Id, X-Timestamp, Last-Modified), and metadata headers in and out."""

from __future__ import annotations

import email.utils
import functools
import math
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from nimbus.kernel.context import ANONYMOUS, RequestContext
from nimbus.kernel.errors import CloudError
from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.acl import Access, account_acl_level, deny, is_owner
from nimbus.services.object.constraints import (
    MAX_ACCOUNT_NAME_LENGTH,
    MAX_CONTAINER_NAME_LENGTH,
    MAX_OBJECT_NAME_LENGTH,
    check_name,
)
from nimbus.services.object.errors import BadRequest, NotFound, PreconditionFailed
from nimbus.services.object.service import ObjectService, title
from nimbus.services.object.store.diskfile import normal_timestamp

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=UTF-8"


def service(req: ApiRequest) -> ObjectService:
    return req.api.service  # type: ignore[attr-defined, no-any-return]


def caller(req: ApiRequest) -> RequestContext:
    """The token's context; a missing or invalid token is anonymous (ACLs may still allow)."""
    memo = req.memo.get("ctx")
    if memo is not None:
        return memo  # type: ignore[no-any-return]
    token = req.headers.get("x-auth-token") or req.headers.get("x-storage-token")
    ctx = ANONYMOUS
    if token:
        try:
            ctx = req.api.validator.context_for(token)
        except CloudError:
            ctx = ANONYMOUS
    req.memo["ctx"] = ctx
    return ctx


def access(req: ApiRequest, account: str) -> Access:
    ctx = caller(req)
    return Access(owner=is_owner(ctx, account, service(req).roles), ctx=ctx)


def require_owner(req: ApiRequest, account: str) -> Access:
    found = access(req, account)
    if not found.owner:
        raise deny(found.ctx)
    return found


def swift_handler(fn: Callable[[ApiRequest], Any]) -> Callable[[ApiRequest], Any]:
    """Names checked first (412/400 as Swift), X-Trans-Id on every answer, errors included."""

    @functools.wraps(fn)
    def handler(req: ApiRequest) -> Any:
        trans = {"X-Trans-Id": trans_id(req.request_id)}
        try:
            check_names(req.path_params)
            reply = fn(req)
        except CloudError as err:
            err.headers.update(trans)
            raise
        if isinstance(reply, Reply):
            reply.headers.update(trans)
        return reply

    return handler


def trans_id(request_id: str | None) -> str:
    """Swift's tx<21 hex>-<10 hex of the time>, from the request's own id (so the two
    answer headers name the same request)."""
    digits = (request_id or "").removeprefix("req-").replace("-", "") or uuid.uuid4().hex
    return f"tx{digits[:21]}-{int(time.time()):010x}"


def check_names(params: Mapping[str, str]) -> None:
    account = params.get("account", "")
    if not account:
        raise PreconditionFailed("Invalid UTF8 or contains NULL")
    check_name(account, "Account", MAX_ACCOUNT_NAME_LENGTH)
    if params.get("container") is not None:
        check_name(params["container"], "Container", MAX_CONTAINER_NAME_LENGTH)
    if params.get("obj"):
        check_name(params["obj"], "Object", MAX_OBJECT_NAME_LENGTH)


def require_account(account: str) -> None:
    """Only AUTH_ accounts exist here (keystoneauth's reseller prefix)."""
    if not account.startswith("AUTH_"):
        raise NotFound()


def http_date(timestamp: str) -> str:
    """Last-Modified: the timestamp rounded up to the second, as Swift does."""
    return email.utils.formatdate(math.ceil(float(timestamp)), usegmt=True)


def timestamp_headers(timestamp: str) -> dict[str, str]:
    return {"X-Timestamp": normal_timestamp(timestamp), "Last-Modified": http_date(timestamp)}


def metadata_updates(req: ApiRequest, kind: str) -> dict[str, str]:
    """X-<Kind>-Meta-* from the request, and X-Remove-<Kind>-Meta-* as removals ("")."""
    prefix = f"x-{kind}-meta-"
    remove = f"x-remove-{kind}-meta-"
    out: dict[str, str] = {}
    for key, value in req.headers.items():
        if key.startswith(prefix):
            out[title(key)] = value.strip()
        elif key.startswith(remove):
            out[title(prefix + key[len(remove):])] = ""
    return out


def metadata_headers(meta: Mapping[str, str], owner: bool) -> dict[str, str]:
    """Stored metadata as response headers; ACLs and keys only for the owner."""
    hidden = ("X-Container-Read", "X-Container-Write", "X-Account-Access-Control",
              "X-Account-Meta-Temp-Url-Key", "X-Account-Meta-Temp-Url-Key-2",
              "X-Container-Meta-Temp-Url-Key", "X-Container-Meta-Temp-Url-Key-2")
    return {k: v for k, v in meta.items() if (owner or k not in hidden)
            and not k.startswith("X-Container-Sysmeta-")}


def int_param(req: ApiRequest, name: str, default: int, maximum: int) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Value of {name} must be an integer") from None
    if value < 0:
        raise BadRequest(f"Value of {name} must be positive")
    if value > maximum:
        raise PreconditionFailed(f"Maximum limit is {maximum}")
    return value


def account_level(req: ApiRequest, account: str) -> str | None:
    """owner, admin, read-write, read-only (account ACL) or None."""
    found = access(req, account)
    if found.owner:
        return "owner"
    if not found.ctx.authenticated:
        return None
    acl = service(req).account_info(account).metadata.get("X-Account-Access-Control")
    return account_acl_level(found.ctx, acl)
