"""Account and container listings in Swift's three formats (plain text, JSON, XML), picked
by ``?format=`` or the Accept header, with Swift's query parameters."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from nimbus.kernel.web import ApiRequest
from nimbus.services.object.api.common import int_param
from nimbus.services.object.constraints import CONTAINER_LISTING_LIMIT
from nimbus.services.object.errors import NotAcceptable, PreconditionFailed
from nimbus.services.object.store.listings import iso

FORMATS = {"plain": "text/plain", "json": "application/json", "xml": "application/xml"}
ACCEPTED = {"text/plain": "plain", "application/json": "json", "application/xml": "xml",
            "text/xml": "xml", "*/*": "plain", "text/*": "plain", "application/*": "json"}


def listing_format(req: ApiRequest) -> str:
    """plain, json or xml: ?format= first, then the Accept header's best match."""
    asked = req.query.get("format")
    if asked:
        # Swift's FORMAT2CONTENT_TYPE: an unknown format is plain text.
        name = asked.lower()
        return name if name in FORMATS else "plain"
    accept = req.headers.get("accept", "")
    if not accept:
        return "plain"
    best: tuple[float, str] | None = None
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        found = ACCEPTED.get(media.strip().lower())
        if found and q > 0 and (best is None or q > best[0]):
            best = (q, found)
    if best is None:
        raise NotAcceptable()
    return best[1]


def listing_query(req: ApiRequest, containers: bool) -> dict[str, Any]:
    limit = int_param(req, "limit", CONTAINER_LISTING_LIMIT, CONTAINER_LISTING_LIMIT)
    query: dict[str, Any] = {
        "limit": limit,
        "marker": req.query.get("marker", ""),
        "end_marker": req.query.get("end_marker", ""),
        "prefix": req.query.get("prefix", ""),
        "delimiter": req.query.get("delimiter", ""),
        "reverse": req.query.get("reverse", "").lower() in ("1", "true", "yes", "on", "t",
                                                            "y"),
    }
    if len(query["delimiter"]) > 1:
        raise PreconditionFailed("Bad delimiter")
    for key in ("marker", "end_marker", "prefix", "delimiter"):
        if "\x00" in query[key]:
            raise PreconditionFailed("Invalid UTF8 or contains NULL")
    if not containers and "path" in req.query:
        query["path"] = req.query["path"]
    return query


def object_item(entry: dict[str, Any]) -> dict[str, Any]:
    if "subdir" in entry:
        return entry
    return {"name": entry["name"], "hash": entry["hash"], "bytes": entry["bytes"],
            "content_type": entry["content_type"], "last_modified": entry["last_modified"]}


def container_item(entry: dict[str, Any]) -> dict[str, Any]:
    if "subdir" in entry:
        return entry
    return {"name": entry["name"], "count": entry["count"], "bytes": entry["bytes"],
            "last_modified": iso(entry["put_timestamp"])}


def render(kind: str, name: str, fmt: str, entries: list[dict[str, Any]]) -> tuple[bytes, str]:
    """(body, content type) of a listing; kind is "account" or "container"."""
    if fmt == "json" and kind == "container":
        # Object rows come with their JSON made by SQLite (store/listings.py).
        parts = [e["json"] if "json" in e else json.dumps(e) for e in entries]
        return ("[" + ",".join(parts) + "]").encode(), "application/json; charset=utf-8"
    item = container_item if kind == "account" else object_item
    items = [item(e) for e in entries]
    if fmt == "json":
        return json.dumps(items).encode(), "application/json; charset=utf-8"
    if fmt == "xml":
        return _xml(kind, name, items).encode(), "application/xml; charset=utf-8"
    text = "".join((i.get("subdir") or i["name"]) + "\n" for i in items)
    return text.encode(), "text/plain; charset=utf-8"


def _xml(kind: str, name: str, items: list[dict[str, Any]]) -> str:
    tag = "container" if kind == "account" else "object"
    fields = (("name", "count", "bytes", "last_modified") if kind == "account" else
              ("name", "hash", "bytes", "content_type", "last_modified"))
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', f"<{kind} name={quoteattr(name)}>"]
    for i in items:
        if "subdir" in i:
            parts.append(f"<subdir name={quoteattr(i['subdir'])}><name>"
                         f"{escape(i['subdir'])}</name></subdir>")
            continue
        inner = "".join(f"<{f}>{escape(str(i[f]))}</{f}>" for f in fields)
        parts.append(f"<{tag}>{inner}</{tag}>")
    parts.append(f"</{kind}>")
    return "".join(parts)
