"""What every Placement handler shares: the microversion (kernel/microversion.py), the
policy check done the way Placement does it (after the version, with Placement's words),
body and query validation with Placement's messages, and the error body."""

from __future__ import annotations

import contextvars
import datetime as dt
import email.utils
import json
import uuid as uuidlib
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import CloudError, Forbidden, MethodNotAllowed, NotAcceptable
from nimbus.kernel.microversion import Version, VersionedApi
from nimbus.kernel.web import ApiRequest, Reply, Route, ServiceApi, render_json
from nimbus.services.placement.errors import (
    MAX_VERSION,
    MIN_VERSION,
    PlacementBadRequest,
    PlacementError,
    PlacementForbidden,
    PlacementNotFound,
    error_media_type,
    placement_error_body,
    text_error,
)

VERSIONS = VersionedApi("placement", MIN_VERSION, MAX_VERSION)
# A rule every authenticated caller passes: the route's own rule is checked in the handler
# wrapper, after the microversion, as Placement orders it.
AUTHENTICATED = "placement:authenticated"
JSON = "application/json"

_current: contextvars.ContextVar[Request | None] = contextvars.ContextVar(
    "placement_request", default=None)

Handler = Callable[[ApiRequest, Version], Any]
_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("uuid")
def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True


def negotiate(headers: Mapping[str, str]) -> Version:
    """The request's version as microversion_parse finds it: 400 for one that does not
    parse, 406 for one Placement does not have."""
    text = VERSIONS.requested(headers)
    if text is None:
        return VERSIONS.min_version
    text = text.strip()
    if text.lower() == "latest":
        return VERSIONS.max_version
    major, _, minor = text.partition(".")
    try:
        version = Version(int(major), int(minor))
    except ValueError as exc:
        reason = exc if minor or not major.isdigit() else \
            "not enough values to unpack (expected 2, got 1)"
        raise PlacementBadRequest(
            f"Invalid microversion: invalid version string: {text}; {reason}") from None
    if not version.matches(VERSIONS.min_version, VERSIONS.max_version):
        raise NotAcceptable(f"Invalid microversion: Unacceptable version header: {text}")
    return version


class PlacementApi(ServiceApi):
    """Placement's answers: its error body (with the request's version and id) and the
    microversion headers on every answer, errors included."""

    def dispatch(self, methods: dict[str, Route], request: Request,
                 body: bytes | None) -> Response:
        token = _current.set(request)
        try:
            response = super().dispatch(methods, request, body)
        finally:
            _current.reset(token)
        try:
            version = negotiate(request.headers)
        except CloudError:
            return response
        # microversion_parse's spelling of the header names (gabbits match it exactly).
        response.headers["openstack-api-version"] = f"placement {version}"
        response.headers["vary"] = "openstack-api-version"
        return response

    def error_response(self, err: CloudError, request_headers: Headers | None = None
                       ) -> Response:
        request = _current.get()
        version: tuple[int, int] | None = None
        failed = False
        if request is not None:
            try:
                parsed = negotiate(request.headers)
                version = (parsed.major, parsed.minor)
            except CloudError:
                failed = True
        request_id = request.scope.get("state", {}).get("request_id") if request else None
        if isinstance(err, Forbidden) and not isinstance(err, PlacementError):
            err = PlacementForbidden(err.message)
        if isinstance(err, MethodNotAllowed) and request is not None:
            err = PlacementError("The method specified is not allowed for this resource.",
                                 status=405, headers=err.headers,
                                 explanation=f"The method {request.method} is not allowed "
                                 "for this resource.")
        headers = {**self.extra_headers, **err.headers}
        if err.status == 401:
            headers.setdefault("WWW-Authenticate", f'Keystone uri="{self.public_url}/identity"')
        media_type = error_media_type(request.headers.get("accept") if request else JSON)
        if err.status == 401 or media_type == JSON:
            body = placement_error_body(err, version, request_id, version_failed=failed)
            return Response(render_json(body), status_code=err.status, headers=headers,
                            media_type=JSON)
        return Response(text_error(err, media_type), status_code=err.status,
                        headers=headers, media_type=media_type)


def route(method: str, path: str, handler: Handler, rule: str | None, *,
          since: str | None = None, until: str | None = None, missing: int = 404,
          content: bool = False, accept: bool = False,
          target: Callable[[ApiRequest], dict[str, Any]] | None = None) -> Route:
    """A Placement route: ``handler(req, version)`` runs when the version is within
    [since, until] (else ``missing``: 404, or 405 where Placement says so), after the
    policy ``rule``; ``content`` routes want a JSON body."""

    def run(req: ApiRequest) -> Any:
        version = negotiate(req.headers)
        check_content_length(req)
        if not version.matches(since, until):
            err = PlacementNotFound("") if missing == 404 else \
                PlacementError("", status=missing)
            raise err
        if rule is not None:
            authorize(req, rule, target(req) if target else {"project_id": req.ctx.project_id})
        if accept:
            check_accept(req)
        if content:
            check_content_type(req)
        return handler(req, version)

    run.__name__ = getattr(handler, "__name__", "placement_handler")
    return Route(method, path, run, AUTHENTICATED if rule is not None else None)


def authorize(req: ApiRequest, rule: str, target: dict[str, Any]) -> None:
    try:
        req.api.authorize(rule, req.ctx, target)
    except Forbidden:
        raise PlacementForbidden(f"Policy does not allow {rule} to be performed.") from None


def check_content_length(req: ApiRequest) -> None:
    """A body must say what it is (Placement's handler checks this for every request)."""
    length = req.headers.get("content-length")
    if not length:
        return
    try:
        size = int(length)
    except ValueError:
        raise PlacementBadRequest("content-length header must be an integer") from None
    if size > 0 and not req.headers.get("content-type"):
        raise PlacementBadRequest("content-type header required when content-length > 0")


def no_route(_req: ApiRequest, _v: Version) -> Any:
    raise PlacementNotFound("The resource could not be found.")


def check_content_type(req: ApiRequest) -> None:
    given = req.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if given != JSON:
        raise PlacementError(f"The media type {given or 'None'} is not supported, use "
                             f"{JSON}", status=415)


def check_accept(req: ApiRequest) -> None:
    accept = req.headers.get("accept", "")
    if not accept:
        return
    types = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    if not any(t in (JSON, "application/*", "*/*") for t in types):
        raise PlacementError(f"Only {JSON} is provided", status=406)


def extract_json(req: ApiRequest, schema: Mapping[str, Any]) -> Any:
    try:
        data = json.loads(req.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlacementBadRequest(f"Malformed JSON: {exc}") from None
    try:
        jsonschema.validate(data, schema, format_checker=_FORMATS)
    except jsonschema.ValidationError as exc:
        raise PlacementBadRequest(f"JSON does not validate: {exc}") from None
    return data


def validate_query(req: ApiRequest, schema: Mapping[str, Any]) -> dict[str, str]:
    """The query as one value per key (the last, as webob's ``dict(req.GET)``)."""
    params = dict(req.query)
    try:
        jsonschema.validate(params, schema, format_checker=_FORMATS)
    except jsonschema.ValidationError as exc:
        raise PlacementBadRequest(f"Invalid query string parameters: {exc}") from None
    return params


def http_date(when: dt.datetime | None) -> str:
    moment = (when or utcnow()).replace(tzinfo=dt.UTC)
    return email.utils.format_datetime(moment, usegmt=True)


def reply(body: Any, version: Version, *, status: int = 200,
          modified: dt.datetime | None | bool = False,
          headers: dict[str, str] | None = None) -> Reply:
    """A JSON answer; from 1.15 with ``cache-control: no-cache`` and, where ``modified``
    is given (None: now), ``last-modified``."""
    out = dict(headers or {})
    if version.matches("1.15"):
        out["cache-control"] = "no-cache"
        if modified is not False:
            out["last-modified"] = http_date(modified if isinstance(modified, dt.datetime)
                                             else None)
    return Reply(body, status=status, headers=out)


def empty(status: int, version: Version, *, cache: bool = False, modified: bool = False,
          headers: dict[str, str] | None = None) -> Response:
    out = dict(headers or {})
    if cache and version.matches("1.15"):
        out["cache-control"] = "no-cache"
        if modified:
            out["last-modified"] = http_date(None)
    response = Response(status_code=status, headers=out)
    # An empty answer carries no content type, as Placement's.
    if "content-type" in response.headers:
        del response.headers["content-type"]
    return response


def latest(*moments: dt.datetime | None) -> dt.datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def path_uuid(req: ApiRequest, name: str = "uuid") -> str:
    return req.path_params[name]
