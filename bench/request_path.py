"""Where one token validation's CPU goes, stage by stage, in CPU µs per request.

    python bench/request_path.py [--rounds 3000]

Builds the all-in-one app in-process on a temp data dir (no HTTP server, no other load),
issues a token, then times each stage of ``GET /identity/v3/auth/tokens`` on its own, a
cached validation being the steady state under load. The HTTP server's own share (uvicorn
parsing and writing) is not in these figures: bench/identity.py's bare Starlette row is.
Set PYTHONPATH to bench another source tree.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import logging
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

# CPU time of the whole process (every thread): on a shared host, what others run there
# stretches wall time far more than it does our CPU time.
clock = time.process_time


def per_call_us(fn: Callable[[], Any], rounds: int) -> float:
    """Median over 7 batches of the CPU µs one call takes."""
    batches = []
    for _ in range(7):
        started = clock()
        for _ in range(rounds):
            fn()
        batches.append((clock() - started) / rounds * 1e6)
    return statistics.median(batches)


def per_await_us(loop: asyncio.AbstractEventLoop, make: Callable[[], Awaitable[Any]],
                 rounds: int) -> float:
    async def batch() -> float:
        started = clock()
        for _ in range(rounds):
            await make()
        return (clock() - started) / rounds * 1e6

    return statistics.median(loop.run_until_complete(batch()) for _ in range(7))


def scope_for(path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "server": ("127.0.0.1", 5000),
            "client": ("127.0.0.1", 40000),
            "headers": [(b"host", b"127.0.0.1:5000"),
                        *((k.lower().encode(), v.encode()) for k, v in headers.items())]}


def asgi_call(app: Any, path: str, headers: dict[str, str]) -> Callable[[], Awaitable[int]]:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def call() -> int:
        status = 0

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope_for(path, headers), receive, send)
        assert status == 200, status
        return status

    return call


def bare_app() -> Any:
    """Starlette with one route answering a JSON body the size of a token: the floor."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    body = {"token": {"methods": ["password"], "user": {"id": "x" * 32, "name": "admin"},
                      "catalog": [{"endpoints": [{"url": "http://h/x" * 4}] * 3}] * 2}}

    async def token(_request: Any) -> JSONResponse:
        return JSONResponse(body)

    return Starlette(routes=[Route("/identity/v3/auth/tokens", token)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3000)
    args = p.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="nimbus-path-"))
    try:
        run(args.rounds, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(rounds: int, workdir: Path) -> None:
    import uvloop
    from starlette.requests import Request

    from nimbus.config import load_settings
    from nimbus.kernel import web
    from nimbus.kernel.app import build_app
    from nimbus.kernel.context import request_memo
    from nimbus.kernel.runtime import Runtime
    from nimbus.server import build_apis
    from nimbus.services.identity.api import auth
    from nimbus.services.identity.service import identity_of
    from nimbus.setup import prepare

    settings = load_settings(str(workdir / "data"), {"bcrypt_cost": 4, "log_level": "info"})
    # As the server logs (an access line a request at info), into /dev/null.
    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"))  # noqa: SIM115
    prepare(settings)
    runtime = Runtime(settings)
    apis = build_apis(runtime)  # as server.create_app does
    app = build_app(apis, default_limit=settings.max_request_body_size)
    identity = identity_of(runtime)
    password = yaml.safe_load((workdir / "data" / "clouds.yaml").read_text())[
        "clouds"]["nimbus"]["auth"]["password"]
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    token = issue(loop, app, password)
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    tokens = identity.tokens
    api = next(a for a in apis if a.name == "identity")
    route = next(r for r in api.routes if r.method == "GET" and r.path == "/v3/auth/tokens")
    request = Request(scope_for("/identity/v3/auth/tokens", headers))
    request.scope["path_params"] = {}
    rows: list[tuple[str, float]] = []

    def add(name: str, us: float) -> None:
        rows.append((name, us))
        print(f"  {name}: {us:.1f} µs", flush=True)

    add("whole request through the ASGI app (no HTTP server)",
        per_await_us(loop, asgi_call(app, "/identity/v3/auth/tokens", headers), rounds))
    access = logging.getLogger("nimbus.access")
    access.setLevel(logging.WARNING)
    add("  the same without the access line (log level warning)",
        per_await_us(loop, asgi_call(app, "/identity/v3/auth/tokens", headers), rounds))
    access.setLevel(logging.NOTSET)
    add("  the same through bare Starlette (floor)",
        per_await_us(loop, asgi_call(bare_app(), "/identity/v3/auth/tokens", headers), rounds))

    def in_thread() -> Awaitable[Any]:
        call = contextvars.copy_context().run
        return loop.run_in_executor(web._handlers, call, lambda: None)

    add("thread hand-off to a handler thread and back", per_await_us(loop, in_thread, rounds))
    add("handler slot (semaphore) taken and given back", _slot_us(rounds))
    add("identity generation read (database)", per_call_us(tokens._read_generation, rounds))

    def validate_cached() -> None:
        with request_memo():
            tokens.validate(token)
            tokens.validate(token)

    add("two cached validations (caller + subject), one generation read",
        per_call_us(validate_cached, rounds))
    data = tokens.decode(token)
    add("Fernet decrypt + payload (cache miss only)",
        per_call_us(lambda: tokens.decode(token), rounds))
    add("token context + body from cached facts (cache miss only)",
        per_call_us(lambda: identity.token_views.build(token, data), rounds // 10 or 1))
    ctx = tokens.validate(token).ctx
    add("policy credentials", per_call_us(ctx.policy_credentials, rounds))
    creds = ctx.policy_credentials()
    target = {"target": {"token": {"user_id": ctx.user_id}}}
    add("policy check identity:validate_token (rule evaluated)",
        per_call_us(lambda: api.enforcer.enforce(route.rule, creds, target), rounds))
    if hasattr(api, "authorize"):  # trees from before the per-context decisions lack it
        add("policy check as dispatch does it (decision kept with the context)",
            per_call_us(lambda: api.authorize(route.rule, ctx, target), rounds))
    validated = tokens.validate(token)
    add("catalog for the token", per_call_us(
        lambda: identity.catalog.token_catalog(ctx.project_id, ctx.user_id), rounds))
    view = auth.token_view(validated.body,
                           identity.catalog.token_catalog(ctx.project_id, ctx.user_id))
    add("JSON rendering of the answer", per_call_us(lambda: web.render_json(view), rounds))
    methods = {"GET": route}
    add("dispatch in the handler thread (all of the above but the hop)",
        per_call_us(lambda: api.dispatch(methods, request, b""), rounds))
    print()
    width = max(len(name) for name, _ in rows)
    for name, us in rows:
        print(f"{name.ljust(width)}  {us:8.1f} µs")


def _slot_us(rounds: int) -> float:
    from nimbus.kernel.concurrency import handler_slot

    def take() -> None:
        with handler_slot().slot():
            pass

    return per_call_us(take, rounds)


def issue(loop: asyncio.AbstractEventLoop, app: Any, password: str) -> str:
    import httpx

    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}

    async def post() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:5000") \
                as client:
            answer = await client.post("/identity/v3/auth/tokens", json=body)
            assert answer.status_code == 201, answer.text
            return answer.headers["x-subject-token"]

    return loop.run_until_complete(post())


if __name__ == "__main__":
    main()
