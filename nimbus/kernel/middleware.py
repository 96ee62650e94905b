"""The ASGI middlewares every API shares. Their order lives in ``kernel/app.py``."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nimbus.kernel.errors import CloudError, NotFound, PayloadTooLarge, internal_error
from nimbus.kernel.web import render_json

access_log = logging.getLogger("nimbus.access")
log = logging.getLogger("nimbus.api")

REQUEST_ID_HEADER = b"x-openstack-request-id"
GLOBAL_ID_RE = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Finds, for a path and method, the API it belongs to: (fault body maker, body limit or None).
ApiLookup = Callable[[str, str], tuple[Callable[[CloudError], dict[str, Any]], int | None]]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestIdMiddleware:
    """Gives every request an id, answered in ``x-openstack-request-id``; keeps a valid
    inbound ``X-OpenStack-Request-ID`` as the global request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req-{uuid.uuid4()}"
        inbound = _header(scope, REQUEST_ID_HEADER)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["global_request_id"] = inbound if inbound and GLOBAL_ID_RE.match(inbound) else None

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class AccessLogMiddleware:
    """One structured line per request; never headers, bodies or query strings. ``worker``
    is the pid of the worker process that served it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pid = os.getpid()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_capture)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(self.line(scope, status, time.perf_counter() - start))

    def line(self, scope: Scope, status: int, seconds: float) -> str:
        """The line's JSON object, put together by hand (a third of json.dumps' cost for a
        dict): only the path, method and client address come from outside and need
        escaping; the request ids are ours or checked against GLOBAL_ID_RE."""
        state = scope.get("state", {})
        ids = [state.get("request_id"), state.get("global_request_id")]
        request_id, global_id = (f'"{i}"' if i else "null" for i in ids)
        client = scope.get("client") or ("-", 0)
        return (f'{{"request_id": {request_id}, "global_request_id": {global_id}, '
                f'"remote": {_quote(client[0])}, "method": {_quote(scope["method"])}, '
                f'"path": {_quote(scope["path"])}, "status": {status}, '
                f'"ms": {seconds * 1000:.2f}, "worker": {self.pid}}}')


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class BodyLimitMiddleware:
    """Refuses bodies over the API's limit with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, lookup: ApiLookup) -> None:
        self.app = app
        self.lookup = lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fault, limit = self.lookup(scope["path"], scope["method"])
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await _send_error(send, PayloadTooLarge(), fault)
            return
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLarge()
            return message

        await self.app(scope, counted_receive, send)


class ErrorMiddleware:
    """Last line: anything that escaped becomes a fault body in the API's own format."""

    def __init__(self, app: ASGIApp, lookup: ApiLookup) -> None:
        self.app = app
        self.lookup = lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except CloudError as err:
            if not started:
                await _send_error(send, err, self.lookup(scope["path"], scope["method"])[0])
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _send_error(send, internal_error(),
                                  self.lookup(scope["path"], scope["method"])[0])


async def _send_error(send: Send, err: CloudError,
                      fault: Callable[[CloudError], dict[str, Any]]) -> None:
    body = render_json(fault(err))
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in err.headers.items()]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def not_found_app(lookup: ApiLookup) -> ASGIApp:
    """What answers a path that no route knows: 404 in the API's format."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _send_error(send, NotFound("The resource could not be found."),
                          lookup(scope["path"], scope["method"])[0])

    return app
