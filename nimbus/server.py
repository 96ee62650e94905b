"""Assembles the all-in-one application: the runtime, every service's API, the kernel app."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

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
    """Each service's API; a service's api module may also offer ``extra_apis(runtime)``:
    APIs of its own outside the catalog (compute's /metadata)."""
    apis = []
    for name in SERVICES:
        module = importlib.import_module(f"nimbus.services.{name}.api")
        apis.append(module.build_api(runtime))
        extra = getattr(module, "extra_apis", None)
        if extra is not None:
            apis.extend(extra(runtime))
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
    if settings.object.s3_domain:
        from nimbus.services.object.s3.api import VirtualHostMiddleware

        app.add_middleware(VirtualHostMiddleware,  # type: ignore[attr-defined]
                           domain=settings.object.s3_domain)
    return app


# Set by `nimbus up` / `nimbus serve all` with one worker: the worker hosts the network
# agent beside the API, on the same (in-process) bus. With more workers the supervisor hosts
# it instead (nimbus/cli.py), so that there is one agent, not one a worker.
HOST_AGENT_ENV = "_NIMBUS_HOST_AGENT"


def app_factory() -> ASGIApp:
    """Entry point for uvicorn workers: settings come from the data dir and NIMBUS_* env."""
    settings = load_settings(os.environ.get("NIMBUS_DATA_DIR"))
    configure_logging(settings.log_level)
    app = create_app(settings)
    if os.environ.get(HOST_AGENT_ENV) == "1":
        host_network_agent(app, settings)
    return app


def host_network_agent(app: Any, settings: Settings) -> None:
    """Run the network and compute agents for as long as the app runs (its lifespan), on
    the process bus; on shutdown stop them and close the process bus."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        from nimbus.agents.compute.agent import start_agent as start_compute
        from nimbus.agents.network.agent import start_agent
        from nimbus.kernel.bus import close_process_bus

        agent = await asyncio.to_thread(start_agent, settings)
        compute_agent = await asyncio.to_thread(start_compute, settings)
        try:
            async with inner(asgi_app) as state:
                yield state
        finally:
            for running in (compute_agent, agent):
                if running is not None:
                    await asyncio.to_thread(running.stop)
            await asyncio.to_thread(close_process_bus, settings)

    app.router.lifespan_context = lifespan


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
