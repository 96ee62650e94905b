"""Routes, requests and replies: how a service's route table becomes ASGI endpoints.

Each route declares its path, method, handler and the policy rule that guards it. Token
validation, policy and the handler run together in one worker thread, so handlers are plain
blocking functions: parse -> call the service -> return a Reply or a dict.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from anyio import from_thread
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nimbus.kernel.access_rules import enforce_access_rules
from nimbus.kernel.auth import TokenValidator
from nimbus.kernel.concurrency import NeedsThread, handler_slot, on_event_loop
from nimbus.kernel.context import ANONYMOUS, RequestContext, request_memo
from nimbus.kernel.errors import (
    BadRequest,
    CloudError,
    FaultFormat,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
    internal_error,
)
from nimbus.kernel.microversion import ByVersion, Version, VersionedApi
from nimbus.kernel.policy import Enforcer, flatten

log = logging.getLogger("nimbus.api")

JSON_TYPE = "application/json"
# Handlers of non-streaming routes run here: a plain executor hands work over in half the
# time anyio's to_thread takes. Streaming routes stay on anyio threads (their body stream
# pulls from the event loop with anyio.from_thread). Of these threads, only a few run a
# handler at a time (kernel.concurrency); the others wait for a slot, or hold a request
# whose handler stepped aside to wait.
_handlers = ThreadPoolExecutor(max_workers=40, thread_name_prefix="handler")


@dataclass
class Reply:
    # JSON-able, bytes/str, or an iterator of bytes (streamed; headers are sent first).
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE


class ClientDisconnected(BadRequest):
    def default_message(self) -> str:
        return "The client went away before sending the whole request body."


class BodyStream:
    """A streaming route's request body: a blocking iterator of chunks, pulled from the ASGI
    receive channel by the worker thread that runs the handler. Each hop to the event loop
    gathers up to ``BATCH`` bytes: the server gets ~64 KiB per message, and a hop per message
    cost a third of an upload's CPU."""

    BATCH = 1 << 20

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    async def _gather(self) -> tuple[bytes, bool, bool]:
        """(bytes, more to come, client gone), from as many messages as fill a batch."""
        parts: list[bytes] = []
        size = 0
        while size < self.BATCH:
            message: Message = await self._receive()
            if message["type"] == "http.disconnect":
                return b"".join(parts), False, True
            body = message.get("body", b"")
            if body:
                parts.append(bytes(body))
                size += len(body)
            if not message.get("more_body", False):
                return b"".join(parts), False, False
        return b"".join(parts), True, False

    def __next__(self) -> bytes:
        while not self._done:
            data, more, gone = from_thread.run(self._gather)
            self._done = not more
            if gone:
                raise ClientDisconnected()
            if data:
                return data
        raise StopIteration


class ApiRequest:
    """What a handler sees: the parsed request, its caller's context, and the service.

    ``body`` holds the whole body, except on streaming routes, whose handlers read ``stream``.
    """

    def __init__(self, request: Request, body: bytes | None, ctx: RequestContext,
                 api: ServiceApi):
        self.method = request.method
        self.path_params: dict[str, str] = dict(request.path_params)
        self.headers: Headers = request.headers
        self.body = body or b""
        self.stream: Iterator[bytes] = \
            BodyStream(request.receive) if body is None else iter([body] if body else [])
        self.ctx = ctx
        self.api = api
        # What the route's target loader and its handler both need, worked out once (the
        # object a policy rule judges, say).
        self.memo: dict[str, Any] = {}
        self._request = request
        # The negotiated microversion on a microversioned API (kernel.microversion).
        self.version: Version | None = None

    @functools.cached_property
    def query(self) -> QueryParams:
        return self._request.query_params

    @functools.cached_property
    def base_url(self) -> str:
        """The service root as the client reached it, e.g. http://host:5000/identity."""
        host = self.headers.get("host") or self.api.public_url.split("://", 1)[-1]
        scheme = self.headers.get("x-forwarded-proto") or self._request.url.scheme
        return f"{scheme}://{host}{self.api.prefix}"

    @property
    def url(self) -> str:
        return str(self._request.url)

    @property
    def request_id(self) -> str | None:
        """The id the answer carries in x-openstack-request-id."""
        return self._request.scope.get("state", {}).get("request_id")

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
    # A handler, or on a microversioned API a table of them by version range.
    handler: Handler | ByVersion[Handler]
    # Policy rule guarding the route; None means no token is needed.
    rule: str | None = None
    # Loads the object the rule judges; its dict becomes ``target`` in the rule.
    target: TargetLoader | None = None
    # The handler reads the body from ``req.stream`` as it arrives; no body limit applies.
    stream: bool = False
    # Try the request on the event loop first (kernel.concurrency): for handlers that
    # usually answer from caches and change nothing before any blocking call.
    inline: bool = False
    # On a microversioned API: False for routes that answer every version alike and carry
    # no version headers (version discovery).
    versioned: bool = True


# Policy decisions kept per caller context; past this many, the rest are worked out again.
MAX_DECISIONS = 64
_PLAIN = (str, int, float, bool, type(None))


def _decision_key(api: str, rule: str, target: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """(api, rule, the target's leaves), or None when a leaf is not a plain value."""
    leaves: list[Any] = [api, rule]

    def walk(prefix: str, value: Mapping[str, Any]) -> bool:
        for key, item in value.items():
            if isinstance(item, Mapping):
                if not item:
                    leaves.append((prefix + key, dict))
                elif not walk(f"{prefix}{key}.", item):
                    return False
            elif isinstance(item, _PLAIN):
                # The type too: 1 and True are equal keys, but rules read "1" and "True".
                leaves.append((prefix + key, item.__class__, item))
            else:
                return False
        return True

    return tuple(leaves) if walk("", target) else None


_ABSENT = "\0absent"


def _narrow(target: Mapping[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """The part of a target a rule reads (dotted keys from the nested levels), with keys
    the target lacks marked as such."""
    flat: dict[str, Any] | None = None
    out: dict[str, Any] = {}
    for key in keys:
        if key in target:
            out[key] = target[key]
            continue
        if flat is None:
            flat = flatten(target)
        out[key] = flat.get(key, _ABSENT)
    return out


def render_json(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _bodiless(request: Request) -> bool:
    """A GET or HEAD that declares no body has none (RFC 9112 6.3): no need to read it."""
    return request.method in ("GET", "HEAD") and "content-length" not in request.headers \
        and "transfer-encoding" not in request.headers


class ServiceApi:
    """One API (identity, compute, ...) mounted under a path prefix."""

    def __init__(self, name: str, prefix: str, routes: list[Route], *, enforcer: Enforcer,
                 fault_format: FaultFormat, validator: TokenValidator, public_url: str,
                 max_body: int | None, extra_headers: dict[str, str] | None = None,
                 flat_targets: bool = False, versions: VersionedApi | None = None) -> None:
        self.name = name
        self.prefix = prefix
        self.routes = routes
        self.enforcer = enforcer
        self.fault_format = fault_format
        self.validator = validator
        self.public_url = public_url
        self.max_body = max_body
        self.extra_headers = extra_headers or {}
        # Rules read the target's keys as %(project_id)s (nova, glance...) rather than
        # %(target.project_id)s (keystone).
        self.flat_targets = flat_targets
        # Microversions (compute, placement, volume): every versioned route negotiates the
        # request's version, a handler may be a ByVersion table, and every answer after a
        # successful negotiation carries the version headers.
        self.versions = versions
        # An API whose faults follow the request's Accept header (Glance's webob faults:
        # HTML, JSON or text) sets this: (error, request headers) -> (body, media type).
        self.negotiated_fault: Callable[[CloudError, Headers], tuple[bytes, str]] | None = None
        self._streamed = [(r.method, compile_path(prefix + r.path)[0])
                          for r in routes if r.stream]

    def body_limit_for(self, path: str, method: str) -> int | None:
        """The body limit of a request; None (no limit) on streaming routes."""
        if any(m == method and regex.match(path) for m, regex in self._streamed):
            return None
        return self.max_body

    # -- building ASGI routes ---------------------------------------------------------------
    def asgi_endpoints(self) -> list[tuple[str, ASGIApp]]:
        """(full path, ASGI app) for each path of the table, in table order; a route for
        ``/`` answers both the bare prefix and the prefix with a slash."""
        by_path: dict[str, dict[str, Route]] = {}
        for route in self.routes:
            by_path.setdefault(route.path, {})[route.method] = route
        out = [(self.prefix + path, self._asgi_app(methods)) for path, methods in
               by_path.items()]
        if "/" in by_path:
            out.append((self.prefix, self._asgi_app(by_path["/"])))
        return out

    def _asgi_app(self, methods: dict[str, Route]) -> ASGIApp:
        endpoint = self._endpoint(methods)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            response = await endpoint(Request(scope, receive, send))
            await response(scope, receive, send)

        return app

    def _endpoint(self, methods: dict[str, Route]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            route = methods.get(request.method)
            if route is not None and route.stream:
                return await run_in_threadpool(self.dispatch, methods, request, None)
            body = b"" if _bodiless(request) else await request.body()
            if route is not None and route.inline:
                try:
                    with on_event_loop():
                        return self.dispatch(methods, request, body)
                except NeedsThread:
                    pass
            call = functools.partial(contextvars.copy_context().run, self.dispatch_in_slot,
                                     methods, request, body)
            return await asyncio.get_running_loop().run_in_executor(_handlers, call)

        return endpoint

    # -- one request ----------------------------------------------------------------------
    def dispatch_in_slot(self, methods: dict[str, Route], request: Request,
                         body: bytes | None) -> Response:
        """``dispatch`` as one of the handlers allowed to run at once (kernel.concurrency).
        Streaming routes don't take a slot: they spend their time waiting on the client."""
        with handler_slot().slot():
            return self.dispatch(methods, request, body)

    def dispatch(self, methods: dict[str, Route], request: Request,
                 body: bytes | None) -> Response:
        with request_memo():
            return self._dispatch(methods, request, body)

    def _dispatch(self, methods: dict[str, Route], request: Request,
                  body: bytes | None) -> Response:
        version_headers: dict[str, str] = {}
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
            if ctx.access_rules is not None:
                enforce_access_rules(ctx.access_rules, self.name, request.method,
                                     request.url.path, self.prefix)
            req = ApiRequest(request, body, ctx, self)
            if self.versions is not None and route.versioned:
                req.version = self.versions.negotiate(request.headers)
                version_headers = self.versions.response_headers(req.version)
            handler = self._versioned_handler(route, req.version)
            if route.rule is not None:
                target = dict(route.target(req)) if route.target else {}
                self.authorize(route.rule, ctx, {**req.path_params, **target}
                               if self.flat_targets else {**req.path_params, "target": target})
            response = self.to_response(handler(req))
            if head_only:
                response.body = b""
            response.headers.update(version_headers)
            return response
        except CloudError as err:
            err.headers.update(version_headers)
            return self.error_response(err, request.headers)
        except NeedsThread:
            raise
        except Exception:
            log.exception("unexpected error in %s %s", request.method, request.url.path)
            return self.error_response(internal_error())

    @staticmethod
    def _versioned_handler(route: Route, version: Version | None) -> Handler:
        """The route's handler, or the one its ByVersion table holds for ``version``; a
        route that does not exist at that version is not found, as Nova answers."""
        if not isinstance(route.handler, ByVersion):
            return route.handler
        handler = route.handler.pick(version) if version is not None else None
        if handler is None:
            raise NotFound("The resource could not be found.")
        return handler

    def authorize(self, rule: str, ctx: RequestContext, target: dict[str, Any]) -> None:
        """Enforce ``rule``. A decision depends only on the rule, the caller's context and
        the target keys the rule reads, so it is kept with the context (which lives as long
        as its token stays cached) for every target that agrees on those keys: a page of
        100 ports costs a handful of evaluations, not 900."""
        keys = self.enforcer.target_keys(rule)
        key = _decision_key(self.name, rule, target if keys is None else _narrow(target, keys))
        decisions = ctx.policy_decisions
        known = decisions.get(key) if key is not None else None
        if known is True:
            return
        if known is False:
            raise Forbidden(f"You are not authorized to perform the requested action: {rule}.")
        try:
            self.enforcer.enforce(rule, ctx.policy_credentials(), target)
        except Forbidden:
            if key is not None and len(decisions) < MAX_DECISIONS:
                decisions[key] = False
            raise
        if key is not None and len(decisions) < MAX_DECISIONS:
            decisions[key] = True

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
        if isinstance(reply.body, Iterator):
            return StreamingResponse(reply.body, status_code=reply.status, headers=headers,
                                     media_type=reply.content_type)
        if isinstance(reply.body, (bytes, str)):
            content = reply.body
        else:
            content = render_json(reply.body)
        return Response(content, status_code=reply.status, headers=headers,
                         media_type=reply.content_type)

    def error_response(self, err: CloudError, request_headers: Headers | None = None
                       ) -> Response:
        headers = {**self.extra_headers, **err.headers}
        if err.status == 401:
            headers.setdefault("WWW-Authenticate",
                               f'Keystone uri="{self.public_url}/identity"')
        if self.negotiated_fault is not None and request_headers is not None:
            body, media_type = self.negotiated_fault(err, request_headers)
            return Response(body, status_code=err.status, headers=headers,
                            media_type=media_type)
        return Response(render_json(self.fault_format(err)), status_code=err.status,
                        headers=headers, media_type=JSON_TYPE)


