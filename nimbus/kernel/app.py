"""The ASGI application: every API under its path prefix, behind one ordered middleware list."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route, Router, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from nimbus.kernel.errors import CloudError, keystone_fault
from nimbus.kernel.middleware import (
    AccessLogMiddleware,
    ApiLookup,
    BodyLimitMiddleware,
    ErrorMiddleware,
    RequestIdMiddleware,
    not_found_app,
)
from nimbus.kernel.web import ServiceApi


def api_lookup(apis: Sequence[ServiceApi], default_limit: int) -> ApiLookup:
    ordered = sorted(apis, key=lambda a: len(a.prefix), reverse=True)

    def lookup(path: str, method: str) -> tuple[Callable[[CloudError], dict[str, Any]],
                                                int | None]:
        for api in ordered:
            if path == api.prefix or path.startswith(api.prefix + "/"):
                return api.fault_format, api.body_limit_for(path, method)
        return keystone_fault, default_limit

    return lookup


class ApiRouter(Router):
    """Finds an API route by a dict of fixed paths, then the paths with parameters in table
    order, instead of trying every route of every API in turn; what none matches (the
    extra routes, unknown paths) goes on through Starlette's router."""

    def __init__(self, apis: Sequence[ServiceApi], routes: Sequence[BaseRoute]) -> None:
        super().__init__(routes=list(routes))
        self.fixed: dict[str, ASGIApp] = {}
        self.patterns: list[tuple[re.Pattern[str], dict[str, Any], ASGIApp]] = []
        for api in apis:
            for path, app in api.asgi_endpoints():
                regex, _format, convertors = compile_path(path)
                if convertors:
                    self.patterns.append((regex, convertors, app))
                elif not any(r.match(path) for r, _c, _a in self.patterns):
                    # (a fixed path that an earlier parameter path matches stays that one's)
                    self.fixed.setdefault(path, app)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            found = self.fixed.get(path)
            if found is not None:
                scope["path_params"] = {}
                await found(scope, receive, send)
                return
            for regex, convertors, app in self.patterns:
                match = regex.match(path)
                if match:
                    scope["path_params"] = {k: convertors[k].convert(v)
                                            for k, v in match.groupdict().items()}
                    await app(scope, receive, send)
                    return
        await super().app(scope, receive, send)


def build_app(apis: Sequence[ServiceApi], *, default_limit: int,
              extra_routes: Sequence[BaseRoute] = ()) -> ASGIApp:
    lookup = api_lookup(apis, default_limit)
    fallback = not_found_app(lookup)
    routes: list[BaseRoute] = [*extra_routes, Mount("", fallback)]
    # The pipeline, outermost first. Token checks and policy run per route, in kernel/web.py.
    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(AccessLogMiddleware),
        Middleware(ErrorMiddleware, lookup=lookup),
        Middleware(BodyLimitMiddleware, lookup=lookup),
    ]
    app = Starlette(middleware=middleware)
    app.router = ApiRouter(apis, routes)
    return app


__all__ = ["build_app", "Route"]
