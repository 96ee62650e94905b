"""The object store's middleware, as Swift's proxy pipeline: each a file of its own, run in
the order of ``PIPELINE`` (outermost first) around the core handlers. A middleware is a
callable ``(req, app) -> reply`` that acts on the requests it knows and passes the others
to ``app``, the rest of the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from nimbus.kernel.web import ApiRequest
from nimbus.services.object.middleware import (
    account_quotas,
    bulk,
    container_quotas,
    dlo,
    formpost,
    slo,
    staticweb,
    symlink,
    tempurl,
    versioned_writes,
)

Handler = Callable[[ApiRequest], Any]


class Middleware(Protocol):
    def __call__(self, req: ApiRequest, app: Handler) -> Any: ...


# Swift's proxy-server.conf order, for what exists here; symlink comes before SLO and DLO
# (Swift puts it after them): here those read the object the path names, so the link must
# be resolved first.
PIPELINE: list[Middleware] = [
    bulk.bulk,
    tempurl.tempurl,
    formpost.formpost,
    staticweb.staticweb,
    symlink.symlink,
    slo.slo,
    dlo.dlo,
    versioned_writes.versioned_writes,
    container_quotas.container_quotas,
    account_quotas.account_quotas,
]


def through_pipeline(core: Handler) -> Handler:
    """``core`` behind every middleware of the pipeline."""
    app = core
    for middleware in reversed(PIPELINE):
        app = _bind(middleware, app)
    return app


def _bind(middleware: Middleware, app: Handler) -> Handler:
    def handler(req: ApiRequest) -> Any:
        return middleware(req, app)

    handler.__name__ = getattr(app, "__name__", "handler")
    return handler


def target_of(req: ApiRequest) -> str:
    """account, container or object: what the request's path names."""
    if req.path_params.get("obj"):
        return "object"
    if req.path_params.get("container"):
        return "container"
    return "account"
