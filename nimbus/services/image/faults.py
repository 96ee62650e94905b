"""Glance's fault bodies follow the Accept header, as webob renders its HTTP errors: HTML
when the client accepts it first (``*/*`` included), JSON when it prefers JSON, plain text
when it accepts neither or sends no Accept. python-glanceclient, openstacksdk and
keystoneauth send ``*/*`` (glanceclient cannot read a flat JSON fault at all); tempest asks
for JSON."""

from __future__ import annotations

import html
import json

from starlette.datastructures import Headers

from nimbus.kernel.errors import CloudError
from nimbus.services.image.errors import glance_fault

HTML, JSON, TEXT = "text/html", "application/json", "text/plain"


def glance_fault_response(err: CloudError, request_headers: Headers) -> tuple[bytes, str]:
    status = f"{err.status} {err.phrase}"
    chosen = best_offer(request_headers.get("accept"), (HTML, JSON))
    if chosen == HTML:
        page = (f"<html>\n <head>\n  <title>{status}</title>\n </head>\n <body>\n"
                f"  <h1>{status}</h1>\n  {html.escape(err.message)}<br /><br />\n\n\n"
                " </body>\n</html>")
        return page.encode(), HTML
    if chosen == JSON:
        return json.dumps(glance_fault(err)).encode(), JSON
    return f"{status}\n\n{err.message}\n\n".encode(), TEXT


def best_offer(accept: str | None, offers: tuple[str, ...]) -> str | None:
    """The first of ``offers`` with the highest quality the header gives it; None when it
    gives none (webob reads a missing header as an empty one: nothing acceptable)."""
    if accept is None or not accept.strip():
        return None
    ranges = [_media_range(part) for part in accept.split(",") if part.strip()]
    best, best_q = None, 0.0
    for offer in offers:
        quality = _quality(offer, ranges)
        if quality > best_q:
            best, best_q = offer, quality
    return best


def _media_range(part: str) -> tuple[str, float]:
    media, *params = (p.strip() for p in part.split(";"))
    quality = 1.0
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return media.lower(), quality


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    """The quality of the most specific range that matches ``offer``."""
    kind = offer.split("/")[0]
    found: tuple[int, float] | None = None
    for media, quality in ranges:
        rank = 3 if media == offer else 2 if media == f"{kind}/*" else \
            1 if media == "*/*" else 0
        if rank and (found is None or rank > found[0]):
            found = (rank, quality)
    return found[1] if found else 0.0
