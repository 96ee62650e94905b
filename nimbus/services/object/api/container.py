"""Container: PUT / GET (the object listing) / HEAD / POST / DELETE."""

from __future__ import annotations

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.acl import clean_acl, container_read_allowed, deny
from nimbus.services.object.api.common import (
    account_level,
    caller,
    metadata_headers,
    metadata_updates,
    require_account,
    service,
    timestamp_headers,
)
from nimbus.services.object.api.listing import listing_format, listing_query, render
from nimbus.services.object.constraints import check_metadata
from nimbus.services.object.errors import Conflict, NotFound
from nimbus.services.object.store.listings import ContainerInfo

HTML = "text/html; charset=UTF-8"
# Container settings kept with its metadata, set and removed (X-Remove-...) like it.
SETTINGS = ("x-container-read", "x-container-write", "x-versions-location",
            "x-history-location", "x-versions-mode")
OWNER_ONLY = ("x-container-read", "x-container-write")


def names(req: ApiRequest) -> tuple[str, str]:
    account = req.path_params["account"]
    require_account(account)
    return account, req.path_params["container"]


def _settings_updates(req: ApiRequest) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in SETTINGS:
        key = name.title().replace("Acl", "ACL")
        if name in req.headers:
            value = req.headers[name].strip()
            out[key] = clean_acl(name, value) if name in OWNER_ONLY else value
        if f"x-remove-{name[2:]}" in req.headers:
            out[key] = ""
    if "x-versions-location" in out and "x-history-location" in out and \
            out["X-Versions-Location"] and out["X-History-Location"]:
        from nimbus.services.object.errors import BadRequest

        raise BadRequest("Only one of X-Versions-Location or X-History-Location may be "
                         "specified")
    return out


def _writer(req: ApiRequest, account: str) -> None:
    """Container PUT/POST/DELETE: the owner, or an account ACL of read-write or above."""
    if account_level(req, account) not in ("owner", "admin", "read-write"):
        raise deny(caller(req))


def _updates(req: ApiRequest, account: str) -> dict[str, str]:
    check_metadata(req.headers, "container")
    updates = {**metadata_updates(req, "container"), **_settings_updates(req)}
    level = account_level(req, account)
    if level not in ("owner", "admin"):
        # Only account admins set ACLs (Swift: the rest are dropped).
        for key in ("X-Container-Read", "X-Container-Write"):
            updates.pop(key, None)
    return updates


def put_container(req: ApiRequest) -> Reply:
    account, container = names(req)
    _writer(req, account)
    created = service(req).create_container(account, container, _updates(req, account))
    return Reply(None, 201 if created else 202, {"Content-Type": HTML, "Content-Length": "0"})


def post_container(req: ApiRequest) -> Reply:
    account, container = names(req)
    _writer(req, account)
    if not service(req).update_container_metadata(account, container,
                                                  _updates(req, account)):
        raise NotFound()
    return Reply(None, 204, {"Content-Type": HTML})


def delete_container(req: ApiRequest) -> Reply:
    account, container = names(req)
    _writer(req, account)
    result = service(req).delete_container(account, container)
    if result == "missing":
        raise NotFound()
    if result == "not empty":
        raise Conflict()
    return Reply(None, 204, {"Content-Type": HTML})


def readable_container(req: ApiRequest, listing: bool) -> tuple[ContainerInfo, bool]:
    """The container and whether the caller owns it; 404 / 401 / 403 as keystoneauth."""
    account, container = names(req)
    level = account_level(req, account)
    info = service(req).container_info(account, container)
    if level is not None:
        if info is None:
            raise NotFound()
        return info, level in ("owner", "admin")
    ctx = caller(req)
    if info is None or not container_read_allowed(
            ctx, info.metadata.get("X-Container-Read", ""), req.headers.get("referer"),
            listing):
        raise deny(ctx)
    return info, False


def container_headers(info: ContainerInfo, owner: bool) -> dict[str, str]:
    return {
        "X-Container-Object-Count": str(info.object_count),
        "X-Container-Bytes-Used": str(info.bytes_used),
        "X-Storage-Policy": "Policy-0",
        "X-Put-Timestamp": timestamp_headers(info.put_timestamp)["X-Timestamp"],
        "Accept-Ranges": "bytes",
        **timestamp_headers(info.created_at),
        **metadata_headers(info.metadata, owner),
    }


def head_container(req: ApiRequest) -> Reply:
    info, owner = readable_container(req, listing=True)
    _body, media = render("container", info.name, listing_format(req), [])
    return Reply(None, 204, {**container_headers(info, owner), "Content-Type": media,
                             "Content-Length": "0"})


def list_container(req: ApiRequest) -> Reply:
    info, owner = readable_container(req, listing=True)
    fmt = listing_format(req)
    query = listing_query(req, containers=False)
    entries = service(req).list_objects(info.account, info.name, **query)
    body, media = render("container", info.name, fmt, entries)
    headers = container_headers(info, owner)
    if not entries and fmt == "plain":
        return Reply(None, 204, {**headers, "Content-Type": media})
    return Reply(body, 200, headers, content_type=media)
