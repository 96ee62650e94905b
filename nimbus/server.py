"""Assembles the all-in-one application: the runtime, every service's API, the kernel app."""

from __future__ import annotations

import importlib
import logging
import os

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from nimbus.config import Settings, load_settings
from nimbus.kernel import concurrency
from nimbus.kernel.app import build_app
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import ServiceApi
from nimbus.services import SERVICES


def build_apis(runtime: Runtime) -> list[ServiceApi]:
    apis = []
    for name in SERVICES:
        module = importlib.import_module(f"nimbus.services.{name}.api")
        apis.append(module.build_api(runtime))
    return apis


def create_app(settings: Settings, runtime: Runtime | None = None) -> ASGIApp:
    concurrency.configure(settings.handler_concurrency)
    runtime = runtime or Runtime(settings)
    apis = build_apis(runtime)

    async def index(_request: Request) -> JSONResponse:
        return JSONResponse({"nimbus": {"services": {a.name: a.prefix for a in apis}}})

    app = build_app(apis, default_limit=settings.max_request_body_size,
                    extra_routes=[Route("/", index)])
    app.state.runtime = runtime  # type: ignore[attr-defined]
    return app


def app_factory() -> ASGIApp:
    """Entry point for uvicorn workers: settings come from the data dir and NIMBUS_* env."""
    settings = load_settings(os.environ.get("NIMBUS_DATA_DIR"))
    configure_logging(settings.log_level)
    return create_app(settings)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
