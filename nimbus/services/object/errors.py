"""The object store's errors, rendered as Swift's swob renders them: a short HTML page
(``<html><h1>Not Found</h1><p>...</p></html>``) unless the error carries its own text, which
is then the whole body. Never JSON."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.datastructures import Headers

from nimbus.kernel.errors import CloudError

# swob's RESPONSE_REASONS: (title, explanation).
REASONS: dict[int, tuple[str, str]] = {
    400: ("Bad Request", ""),
    401: ("Unauthorized", "This server could not verify that you are authorized to access "
          "the document you requested."),
    403: ("Forbidden", "Access was denied to this resource."),
    404: ("Not Found", "The resource could not be found."),
    405: ("Method Not Allowed", "The method is not allowed for this resource."),
    406: ("Not Acceptable", "The server has no content acceptable to the client."),
    409: ("Conflict", "There was a conflict when trying to complete your request."),
    411: ("Length Required", "Length Required."),
    412: ("Precondition Failed", "A precondition for this request was not met."),
    413: ("Request Entity Too Large", "The body of your request was too large for this "
          "server."),
    416: ("Requested Range Not Satisfiable", "The Range requested is not available."),
    422: ("Unprocessable Entity", "Unable to process the contained instructions"),
    499: ("Client Disconnect", "The client was disconnected during request."),
    500: ("Internal Error", "The server has either erred or is incapable of performing the "
          "requested operation."),
    501: ("Not Implemented", "The server does not support this request."),
    503: ("Service Unavailable", "The server is currently unavailable. Please try again at "
          "a later time."),
}
HTML = "text/html; charset=UTF-8"


def reason_page(status: int) -> str:
    title, text = REASONS.get(status, (HTTPStatus(status).phrase, ""))
    return f"<html><h1>{title}</h1><p>{text}</p></html>"


class SwiftError(CloudError):
    """An error whose body is swob's page for its status unless given a text."""

    def default_message(self) -> str:
        return reason_page(self.status)


class BadRequest(SwiftError):
    status = 400


class Unauthorized(SwiftError):
    status = 401


class Forbidden(SwiftError):
    status = 403


class NotFound(SwiftError):
    status = 404


class MethodNotAllowed(SwiftError):
    status = 405


class NotAcceptable(SwiftError):
    status = 406


class Conflict(SwiftError):
    status = 409


class LengthRequired(SwiftError):
    status = 411


class PreconditionFailed(SwiftError):
    status = 412


class TooLarge(SwiftError):
    status = 413


class RangeNotSatisfiable(SwiftError):
    status = 416


class Unprocessable(SwiftError):
    status = 422


class NotImplementedHere(SwiftError):
    status = 501


class Unavailable(SwiftError):
    status = 503


def swift_fault(err: CloudError) -> dict[str, Any]:
    """For the kernel's middlewares, which only speak JSON (a path no route knows)."""
    return {"error": {"code": err.status, "message": _body(err)}}


def _body(err: CloudError) -> str:
    if isinstance(err, SwiftError):
        return err.message
    # A kernel error (the token validator's 401, a 405): swob's page for the status.
    return reason_page(err.status)


def swift_fault_response(err: CloudError, _headers: Headers) -> tuple[bytes, str]:
    return _body(err).encode(), HTML
