"""Routes, requests and replies: how a service's route table becomes ASGI endpoints.

Each route declares its path, method, handler and the policy rule that guards it. Token
validation, policy and the handler run together in one worker thread, so handlers are plain
blocking functions: parse -> call the service -> return a Reply or a dict.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.routing import Route as StarletteRoute

from nimbus.kernel.auth import TokenValidator
from nimbus.kernel.context import ANONYMOUS, RequestContext
from nimbus.kernel.errors import (
    BadRequest,
    CloudError,
    FaultFormat,
    MethodNotAllowed,
    Unauthorized,
    internal_error,
)
from nimbus.kernel.policy import Enforcer

log = logging.getLogger("nimbus.api")

JSON_TYPE = "application/json"
# Starlette routes only the methods listed; the dispatcher answers 405 itself.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE


class ApiRequest:
    """What a handler sees: the parsed request, its caller's context, and the service."""

    def __init__(self, request: Request, body: bytes, ctx: RequestContext, api: ServiceApi):
        self.method = request.method
        self.path_params: dict[str, str] = dict(request.path_params)
        self.query: QueryParams = request.query_params
        self.headers: Headers = request.headers
        self.body = body
        self.ctx = ctx
        self.api = api
        self._request = request

    @property
    def base_url(self) -> str:
        """The service root as the client reached it, e.g. http://host:5000/identity."""
        host = self.headers.get("host") or self.api.public_url.split("://", 1)[-1]
        scheme = self.headers.get("x-forwarded-proto") or self._request.url.scheme
        return f"{scheme}://{host}{self.api.prefix}"

    @property
    def url(self) -> str:
        return str(self._request.url)

    def json(self) -> Any:
        if not self.body:
            raise BadRequest("The request body must be a JSON document.")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("Malformed JSON in the request body.") from None

    def json_object(self, key: str | None = None) -> dict[str, Any]:
        """The body as an object, or its ``key`` member as an object (Keystone's envelopes)."""
        doc = self.json()
        if key is not None:
            if not isinstance(doc, dict) or key not in doc:
                raise BadRequest(f"The request body must contain the '{key}' object.")
            doc = doc[key]
        if not isinstance(doc, dict):
            raise BadRequest(f"'{key or 'body'}' must be an object.")
        return doc


Handler = Callable[[ApiRequest], Any]
TargetLoader = Callable[[ApiRequest], Mapping[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    # Policy rule guarding the route; None means no token is needed.
    rule: str | None = None
    # Loads the object the rule judges; its dict becomes ``target`` in the rule.
    target: TargetLoader | None = None


def render_json(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class ServiceApi:
    """One API (identity, compute, ...) mounted under a path prefix."""

    def __init__(self, name: str, prefix: str, routes: list[Route], *, enforcer: Enforcer,
                 fault_format: FaultFormat, validator: TokenValidator, public_url: str,
                 max_body: int | None, extra_headers: dict[str, str] | None = None) -> None:
        self.name = name
        self.prefix = prefix
        self.routes = routes
        self.enforcer = enforcer
        self.fault_format = fault_format
        self.validator = validator
        self.public_url = public_url
        self.max_body = max_body
        self.extra_headers = extra_headers or {}

    # -- building ASGI routes ---------------------------------------------------------------
    def asgi_routes(self) -> list[BaseRoute]:
        by_path: dict[str, dict[str, Route]] = {}
        for route in self.routes:
            by_path.setdefault(route.path, {})[route.method] = route
        out: list[BaseRoute] = []
        for path, methods in by_path.items():
            out.append(StarletteRoute(path, self._endpoint(methods), methods=ALL_METHODS))
        return out

    def root_route(self) -> BaseRoute | None:
        """The route for the bare prefix (``/identity``), which a Mount does not match."""
        methods = {r.method: r for r in self.routes if r.path == "/"}
        return StarletteRoute(self.prefix, self._endpoint(methods), methods=ALL_METHODS) \
            if methods else None

    def _endpoint(self, methods: dict[str, Route]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            return await run_in_threadpool(self.dispatch, methods, request, body)

        return endpoint

    # -- one request ----------------------------------------------------------------------
    def dispatch(self, methods: dict[str, Route], request: Request, body: bytes) -> Response:
        try:
            route = methods.get(request.method)
            head_only = False
            if route is None and request.method == "HEAD" and "GET" in methods:
                route, head_only = methods["GET"], True
            if route is None:
                raise MethodNotAllowed(
                    f"The method {request.method} is not supported for this resource.",
                    headers={"Allow": ", ".join(sorted(methods))})
            ctx = self.authenticate(request) if route.rule is not None else ANONYMOUS
            req = ApiRequest(request, body, ctx, self)
            if route.rule is not None:
                target = dict(route.target(req)) if route.target else {}
                self.enforcer.enforce(route.rule, ctx.policy_credentials(),
                                      {**req.path_params, "target": target})
            response = self.to_response(route.handler(req))
            if head_only:
                response.body = b""
            return response
        except CloudError as err:
            return self.error_response(err)
        except Exception:
            log.exception("unexpected error in %s %s", request.method, request.url.path)
            return self.error_response(internal_error())

    def authenticate(self, request: Request) -> RequestContext:
        token = request.headers.get("x-auth-token")
        if not token:
            raise Unauthorized()
        return self.validator.context_for(token)

    def to_response(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        reply = result if isinstance(result, Reply) else (
            Reply(status=204) if result is None else Reply(result))
        headers = {**self.extra_headers, **reply.headers}
        if reply.body is None or reply.status == 204:
            return Response(status_code=reply.status, headers=headers)
        if isinstance(reply.body, (bytes, str)):
            content = reply.body
        else:
            content = render_json(reply.body)
        return Response(content, status_code=reply.status, headers=headers,
                         media_type=reply.content_type)

    def error_response(self, err: CloudError) -> Response:
        headers = {**self.extra_headers, **err.headers}
        if err.status == 401:
            headers.setdefault("WWW-Authenticate",
                               f'Keystone uri="{self.public_url}/identity"')
        return Response(render_json(self.fault_format(err)), status_code=err.status,
                        headers=headers, media_type=JSON_TYPE)


