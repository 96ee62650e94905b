"""Static websites (Swift's staticweb): for anonymous GET/HEAD (or X-Web-Mode: true) on a
container, or a "directory" path ending in /, with X-Container-Meta-Web-Index the index
object answers; with X-Container-Meta-Web-Listings: true an HTML listing (styled by
X-Container-Meta-Web-Listings-CSS) does. The container's read ACL still decides."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import quote

from nimbus.kernel.web import ApiRequest, Reply

TRUE = ("1", "true", "yes", "on", "t", "y")


def _web_mode(req: ApiRequest) -> bool:
    from nimbus.services.object.api.common import caller

    if req.headers.get("x-web-mode", "").lower() in TRUE:
        return True
    return not caller(req).authenticated


def staticweb(req: ApiRequest, app: Callable[[ApiRequest], Any]) -> Any:
    from nimbus.services.object.api.common import service

    params = req.path_params
    obj = params.get("obj") or ""
    if req.method not in ("GET", "HEAD") or not params.get("container") or \
            (obj and not obj.endswith("/")) or not _web_mode(req):
        return app(req)
    info = service(req).container_info(params["account"], params["container"])
    if info is None:
        return app(req)
    meta = info.metadata
    index = meta.get("X-Container-Meta-Web-Index")
    if index and service(req).head_object(info.account, info.name, obj + index) is not None:
        return _serve_index(req, obj + index)
    if meta.get("X-Container-Meta-Web-Listings", "").lower() in TRUE:
        return _listing(req, obj, meta.get("X-Container-Meta-Web-Listings-Css"))
    return app(req)


def _serve_index(req: ApiRequest, name: str) -> Any:
    from nimbus.services.object.api import objects

    req.path_params["obj"] = name
    return objects.head_object(req) if req.method == "HEAD" else objects.get_object(req)


def _listing(req: ApiRequest, prefix: str, css: str | None) -> Reply:
    from nimbus.services.object.api.common import service
    from nimbus.services.object.api.container import readable_container

    info, _owner = readable_container(req, listing=True)
    entries = service(req).list_objects(info.account, info.name, limit=10000, prefix=prefix,
                                        delimiter="/")
    title = escape(f"Listing of {req.api.prefix}/v1/{info.account}/{info.name}/{prefix}")
    style = f'  <link rel="stylesheet" type="text/css" href="{escape(css)}" />\n' if css \
        else ""
    rows = []
    for entry in entries:
        name = entry.get("subdir") or entry["name"]
        shown = escape(name[len(prefix):])
        size = "" if "subdir" in entry else str(entry["bytes"])
        date = "" if "subdir" in entry else escape(entry["last_modified"][:19])
        rows.append(f'   <tr class="item"><td class="colname"><a href="{quote(shown)}">'
                    f'{shown}</a></td><td class="colsize">{size}</td>'
                    f'<td class="coldate">{date}</td></tr>\n')
    body = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" '
            '"http://www.w3.org/TR/html4/loose.dtd">\n<html>\n <head>\n'
            f"  <title>{title}</title>\n{style} </head>\n <body>\n"
            f'  <h1 id="title">{title}</h1>\n  <table id="listing">\n'
            '   <tr id="heading"><th class="colname">Name</th><th class="colsize">Size</th>'
            '<th class="coldate">Date</th></tr>\n' + "".join(rows) +
            "  </table>\n </body>\n</html>\n")
    return Reply(body.encode(), 200, {}, content_type="text/html; charset=UTF-8")
