"""Temporary URLs (Swift's tempurl): ``?temp_url_sig=&temp_url_expires=`` lets a request
without a token reach one object, signed with HMAC (sha1, sha256 or sha512; hex or
``<digest>:<base64>``) over ``METHOD\\nEXPIRES\\nPATH`` with an account or container key
(X-Account-Meta-Temp-Url-Key[-2], X-Container-Meta-Temp-Url-Key[-2]). The path signed is
the object's path as the client sees it (with /object-store) or as Swift's proxy does
(from /v1)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from nimbus.kernel.web import ApiRequest
from nimbus.services.object.errors import Unauthorized

DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}
BY_HEX_LENGTH = {40: "sha1", 64: "sha256", 128: "sha512"}
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
KEYS = ("Temp-Url-Key", "Temp-Url-Key-2")


def invalid() -> Unauthorized:
    return Unauthorized("401 Unauthorized: Temp URL invalid\n")


def _expires(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        pass
    try:
        moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise invalid() from None
    return int(moment.replace(tzinfo=dt.UTC).timestamp())


def _signature(sig: str) -> tuple[str, bytes]:
    """(digest name, raw signature) of a hex or ``digest:base64`` signature."""
    if ":" in sig:
        name, _, encoded = sig.partition(":")
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise invalid() from None
        if name not in DIGESTS:
            raise invalid()
        return name, raw
    name = BY_HEX_LENGTH.get(len(sig), "")
    try:
        return name, bytes.fromhex(sig)
    except ValueError:
        raise invalid() from None


def _keys(req: ApiRequest, account: str, container: str) -> list[str]:
    from nimbus.services.object.api.common import service

    svc = service(req)
    found = [svc.account_info(account).metadata.get(f"X-Account-Meta-{k}") for k in KEYS]
    info = svc.container_info(account, container)
    if info is not None:
        found += [info.metadata.get(f"X-Container-Meta-{k}") for k in KEYS]
    return [k for k in found if k]


def tempurl(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    sig, expires = req.query.get("temp_url_sig"), req.query.get("temp_url_expires")
    if sig is None and expires is None:
        return app(req)
    params = req.path_params
    if not sig or not expires or not params.get("obj") or req.method not in METHODS or \
            "x-copy-from" in req.headers:
        raise invalid()
    when = _expires(expires)
    if when < time.time():
        raise invalid()
    name, raw = _signature(sig)
    if name not in DIGESTS:
        raise invalid()
    account, container, obj = params["account"], params["container"], params["obj"]
    prefix = req.query.get("temp_url_prefix")
    if prefix is not None and not obj.startswith(prefix):
        raise invalid()
    raw_tail = f"/v1/{account}/{container}/{obj if prefix is None else prefix}"
    tails = {quote(raw_tail), raw_tail}
    # A prefix signature covers every object under it: "prefix:" before the path.
    mark = "" if prefix is None else "prefix:"
    paths = [mark + p for t in tails for p in (req.api.prefix + t, t)]
    methods = [req.method] + (["GET", "PUT"] if req.method == "HEAD" else [])
    for key in _keys(req, account, container):
        for method in methods:
            for path in paths:
                body = f"{method}\n{expires}\n{path}".encode()
                good = hmac.new(key.encode(), body, DIGESTS[name]).digest()
                if hmac.compare_digest(good, raw):
                    req.memo["tempurl"] = (account, container)
                    reply = app(req)
                    if req.method in ("GET", "HEAD") and hasattr(reply, "headers"):
                        _disposition(req, reply.headers, obj)
                    return reply
    raise invalid()


def _disposition(req: ApiRequest, headers: dict[str, str], obj: str) -> None:
    if "inline" in req.query:
        headers["Content-Disposition"] = "inline"
        return
    filename = req.query.get("filename") or obj.rsplit("/", 1)[-1]
    headers["Content-Disposition"] = f'attachment; filename="{filename}"; ' \
        f"filename*=UTF-8''{quote(filename)}"
