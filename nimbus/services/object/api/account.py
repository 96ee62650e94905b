"""Account: GET (the container listing) / HEAD (its figures) / POST (its metadata)."""

from __future__ import annotations

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.acl import deny, parse_account_acl
from nimbus.services.object.api.common import (
    account_level,
    caller,
    metadata_headers,
    metadata_updates,
    require_account,
    service,
)
from nimbus.services.object.api.listing import listing_format, listing_query, render
from nimbus.services.object.constraints import check_metadata
from nimbus.services.object.errors import MethodNotAllowed
from nimbus.services.object.service import title
from nimbus.services.object.store.diskfile import normal_timestamp
from nimbus.services.object.store.listings import AccountInfo

ACL_HEADER = "x-account-access-control"


def _readable(req: ApiRequest) -> tuple[str, bool]:
    account = req.path_params["account"]
    require_account(account)
    level = account_level(req, account)
    if level is None:
        raise deny(caller(req))
    return account, level in ("owner", "admin")


def account_headers(info: AccountInfo, owner: bool) -> dict[str, str]:
    return {
        "X-Account-Container-Count": str(info.container_count),
        "X-Account-Object-Count": str(info.object_count),
        "X-Account-Bytes-Used": str(info.bytes_used),
        "X-Account-Storage-Policy-Policy-0-Container-Count": str(info.container_count),
        "X-Account-Storage-Policy-Policy-0-Object-Count": str(info.object_count),
        "X-Account-Storage-Policy-Policy-0-Bytes-Used": str(info.bytes_used),
        "X-Timestamp": normal_timestamp(info.created_at),
        "X-Put-Timestamp": normal_timestamp(info.put_timestamp),
        "Accept-Ranges": "bytes",
        **metadata_headers(info.metadata, owner),
    }


def head_account(req: ApiRequest) -> Reply:
    account, owner = _readable(req)
    info = service(req).account_info(account)
    fmt = listing_format(req)
    _body, media = render("account", account, fmt, [])
    headers = {**account_headers(info, owner), "Content-Type": media, "Content-Length": "0"}
    return Reply(None, 204, headers)


def list_account(req: ApiRequest) -> Reply:
    account, owner = _readable(req)
    svc = service(req)
    fmt = listing_format(req)
    query = listing_query(req, containers=True)
    info = svc.account_info(account)
    entries = svc.list_containers(account, **query)
    body, media = render("account", account, fmt, entries)
    headers = account_headers(info, owner)
    if not entries and fmt == "plain":
        return Reply(None, 204, {**headers, "Content-Type": media})
    return Reply(body, 200, headers, content_type=media)


def post_account(req: ApiRequest) -> Reply:
    account = req.path_params["account"]
    require_account(account)
    if account_level(req, account) not in ("owner", "admin"):
        raise deny(caller(req))
    check_metadata(req.headers, "account")
    updates = metadata_updates(req, "account")
    if ACL_HEADER in req.headers:
        value = req.headers[ACL_HEADER].strip()
        if value:
            parse_account_acl(value)
        updates["X-Account-Access-Control"] = value
    for name in ("x-account-quota-bytes", "x-account-quota-count"):
        if name in req.headers:
            updates[title(name)] = req.headers[name].strip()
        if f"x-remove-{name[2:]}" in req.headers:
            updates[title(name)] = ""
    if "x-remove-account-access-control" in req.headers:
        updates["X-Account-Access-Control"] = ""
    service(req).update_account_metadata(account, updates)
    return Reply(None, 204, {"Content-Type": "text/html; charset=UTF-8"})


def refuse_account_change(req: ApiRequest) -> Reply:
    raise MethodNotAllowed()
