"""Typed errors. Each API renders them in its own fault format (see ``FaultFormat``)."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any


class CloudError(Exception):
    status = 500
    title: str | None = None

    def __init__(self, message: str | None = None, *, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        if status is not None:
            self.status = status
        self.message = message or self.default_message()
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def default_message(self) -> str:
        return HTTPStatus(self.status).description or HTTPStatus(self.status).phrase

    @property
    def phrase(self) -> str:
        return self.title or HTTPStatus(self.status).phrase


class BadRequest(CloudError):
    status = 400


class ValidationError(BadRequest):
    pass


class Unauthorized(CloudError):
    status = 401

    def default_message(self) -> str:
        return "The request you have made requires authentication."


class Forbidden(CloudError):
    status = 403

    def default_message(self) -> str:
        return "You are not authorized to perform the requested action."


class NotFound(CloudError):
    status = 404

    def default_message(self) -> str:
        return "Could not find the requested resource."


class MethodNotAllowed(CloudError):
    status = 405


class NotAcceptable(CloudError):
    status = 406


class Conflict(CloudError):
    status = 409


class Gone(CloudError):
    status = 410


class PayloadTooLarge(CloudError):
    status = 413

    def default_message(self) -> str:
        return "Request Entity Too Large"


class UnsupportedMediaType(CloudError):
    status = 415


class NotImplementedYet(CloudError):
    status = 501


# A fault format turns an error into (body, extra headers) for one API.
FaultFormat = Callable[[CloudError], dict[str, Any]]


def keystone_fault(err: CloudError) -> dict[str, Any]:
    return {"error": {"code": err.status, "title": err.phrase, "message": err.message}}


def internal_error() -> CloudError:
    return CloudError("An unexpected error prevented the server from fulfilling your request.")
