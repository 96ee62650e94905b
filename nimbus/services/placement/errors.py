"""Placement errors, and the body Placement renders them in (the API-WG errors guideline):
``{"errors": [{"status": 409, "title": "Conflict", "detail": "...", "code":
"placement.concurrent_update", "request_id": "req-..."}]}``.

``detail`` is what webob makes of an HTTP exception: the status's explanation, a blank
line, then the message. ``code`` appears from microversion 1.23; a 406 for a version out of
range also carries ``max_version`` and ``min_version``.
"""

from __future__ import annotations

import html
import re
from typing import Any

from nimbus.kernel.errors import (
    BadRequest,
    CloudError,
    Conflict,
    Forbidden,
    NotFound,
)

DEFAULT = "placement.undefined_code"
INVENTORY_INUSE = "placement.inventory.inuse"
CONCURRENT_UPDATE = "placement.concurrent_update"
DUPLICATE_NAME = "placement.duplicate_name"
PROVIDER_IN_USE = "placement.resource_provider.inuse"
PROVIDER_CANNOT_DELETE_PARENT = "placement.resource_provider.cannot_delete_parent"
RESOURCE_PROVIDER_NOT_FOUND = "placement.resource_provider.not_found"
ILLEGAL_DUPLICATE_QUERYPARAM = "placement.query.duplicate_key"
QUERYPARAM_BAD_VALUE = "placement.query.bad_value"
QUERYPARAM_MISSING_VALUE = "placement.query.missing_value"

# webob's explanation of each status, the first line of ``detail``.
_GENERIC = ("The server could not comply with the request since it is either malformed "
            "or otherwise incorrect.")
EXPLANATIONS = {
    400: _GENERIC,
    403: "Access was denied to this resource.",
    404: "The resource could not be found.",
    405: _GENERIC,
    406: _GENERIC,
    409: "There was a conflict when trying to complete your request.",
    413: _GENERIC,
    415: _GENERIC,
    500: "The server has either erred or is incapable of performing the requested "
         "operation.",
}
MIN_VERSION = "1.0"
MAX_VERSION = "1.39"
ERROR_CODE_VERSION = (1, 23)
_TAGS = re.compile(r"<[^>]*>")


class PlacementError(CloudError):
    """An error with Placement's ``code``."""

    code = DEFAULT

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 status: int | None = None, headers: dict[str, str] | None = None,
                 explanation: str | None = None) -> None:
        super().__init__(message, status=status, headers=headers)
        if code is not None:
            self.code = code
        self.explanation = explanation


class PlacementBadRequest(PlacementError, BadRequest):
    pass


class PlacementNotFound(PlacementError, NotFound):
    pass


class PlacementConflict(PlacementError, Conflict):
    pass


class PlacementForbidden(PlacementError, Forbidden):
    pass


class ConcurrentUpdate(PlacementConflict):
    """A generation moved under the caller (a provider's or a consumer's)."""

    code = CONCURRENT_UPDATE


class AllocationConflict(PlacementConflict):
    """Allocations that no longer fit (capacity or the inventory's constraints): what a
    claim on the last slot gets when another claim took it first."""


class ProviderNotFound(PlacementNotFound):
    def __init__(self, uuid: str, message: str | None = None) -> None:
        self.uuid = uuid
        super().__init__(message or f"No resource provider with uuid {uuid} found")


def detail_text(err: CloudError) -> str:
    explanation = getattr(err, "explanation", None) or EXPLANATIONS.get(err.status, _GENERIC)
    return f"{explanation}\n\n {err.message}  "


def placement_error_body(err: CloudError, version: tuple[int, int] | None,
                         request_id: str | None, *, version_failed: bool = False
                         ) -> dict[str, Any]:
    """The ``errors`` document; ``version`` is the request's (None when it had none that
    parsed)."""
    if err.status == 401:
        # keystonemiddleware answers before Placement does, in Keystone's shape.
        return {"error": {"code": 401, "title": "Unauthorized", "message": err.message}}
    entry: dict[str, Any] = {"status": err.status, "title": err.phrase,
                             "detail": detail_text(err)}
    if version is not None and version >= ERROR_CODE_VERSION:
        entry["code"] = getattr(err, "code", DEFAULT)
    if request_id:
        entry["request_id"] = request_id
    if err.status == 406 and version_failed:
        entry["max_version"] = MAX_VERSION
        entry["min_version"] = MIN_VERSION
    return {"errors": [entry]}


def _accept_q(accept: str, offer: str) -> float:
    """The quality the Accept header gives ``offer`` (its most specific matching range)."""
    best, best_rank = 0.0, -1
    kind = offer.split("/")[0]
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        rank = 2 if media == offer else 1 if media == f"{kind}/*" else 0 if media == "*/*" \
            else -1
        if rank < 0 or rank < best_rank:
            continue
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        best, best_rank = q, rank
    return best


def error_media_type(accept: str | None) -> str:
    """What webob answers an error in: HTML or JSON as the Accept header prefers (HTML
    on a tie), plain text when it takes neither. Placement's request log treats a missing
    Accept or ``*/*`` as JSON."""
    if not accept or accept.strip() == "*/*":
        return "application/json"
    html, as_json = _accept_q(accept, "text/html"), _accept_q(accept, "application/json")
    if html <= 0 and as_json <= 0:
        return "text/plain"
    return "text/html" if html >= as_json else "application/json"


def text_error(err: CloudError, media_type: str) -> str:
    explanation = getattr(err, "explanation", None) or EXPLANATIONS.get(err.status, _GENERIC)
    head = f"{err.status} {err.phrase}"
    if media_type == "text/html":
        return (f"<html>\n <head>\n  <title>{head}</title>\n </head>\n <body>\n  <h1>{head}"
                f"</h1>\n  {explanation}<br /><br />\n{html.escape(err.message)}\n\n\n </body>"
                "\n</html>")
    return f"{head}\n\n{explanation}\n\n {_TAGS.sub('', err.message)}  "


def placement_fault(err: CloudError) -> dict[str, Any]:
    """For errors raised outside a Placement handler (an unknown path, say)."""
    return placement_error_body(err, None, None)
