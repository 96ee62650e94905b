"""The ASGI application: every API under its path prefix, behind one ordered middleware list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

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


def build_app(apis: Sequence[ServiceApi], *, default_limit: int,
              extra_routes: Sequence[BaseRoute] = ()) -> ASGIApp:
    lookup = api_lookup(apis, default_limit)
    fallback = not_found_app(lookup)
    routes: list[BaseRoute] = list(extra_routes)
    for api in apis:
        root = api.root_route()
        if root is not None:
            routes.append(root)
        routes.append(Mount(api.prefix, routes=[*api.asgi_routes(), Mount("", fallback)]))
    routes.append(Mount("", fallback))
    # The pipeline, outermost first. Token checks and policy run per route, in kernel/web.py.
    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(AccessLogMiddleware),
        Middleware(ErrorMiddleware, lookup=lookup),
        Middleware(BodyLimitMiddleware, lookup=lookup),
    ]
    return Starlette(routes=routes, middleware=middleware)


__all__ = ["build_app", "Route"]
