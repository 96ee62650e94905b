"""The ceiling for bench/identity.py: a bare Starlette app on the same uvicorn workers and
the same supervisor as Nimbus, answering a fixed JSON body the size of a token validation.

    python bench/bare_app.py PORT WORKERS
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ENDPOINT = {"id": "0" * 32, "interface": "public", "region": "RegionOne",
            "region_id": "RegionOne", "url": "http://127.0.0.1:5000/identity"}
BODY = {"token": {
    "methods": ["password"], "audit_ids": ["x" * 22],
    "user": {"id": "0" * 32, "name": "admin", "domain": {"id": "default", "name": "Default"},
             "password_expires_at": None},
    "project": {"id": "0" * 32, "name": "admin",
                "domain": {"id": "default", "name": "Default"}},
    "roles": [{"id": "0" * 32, "name": "admin"}, {"id": "1" * 32, "name": "member"}],
    "expires_at": "2026-01-01T00:00:00.000000Z", "issued_at": "2026-01-01T00:00:00.000000Z",
    "catalog": [{"endpoints": [ENDPOINT] * 3, "id": "2" * 32, "type": kind, "name": kind}
                for kind in ("identity", "image")]}}


async def token(_request: Request) -> JSONResponse:
    return JSONResponse(BODY)


app = Starlette(routes=[Route("/identity/v3/auth/tokens", token),
                        Route("/identity/v3", lambda _r: JSONResponse({}))])


def main() -> None:
    import uvicorn

    port, workers = int(sys.argv[1]), int(sys.argv[2])
    options = {"host": "127.0.0.1", "port": port, "log_level": "warning", "access_log": False}
    if workers == 1:
        uvicorn.run("bare_app:app", **options)  # type: ignore[arg-type]
        return
    try:
        from nimbus.supervisor import serve_workers
    except ImportError:  # a tree from before the balanced supervisor
        uvicorn.run("bare_app:app", workers=workers, **options)  # type: ignore[arg-type]
        return
    serve_workers(uvicorn.Config("bare_app:app", workers=workers, **options))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
