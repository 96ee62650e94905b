"""A microversioned API through the kernel's pipeline: negotiation, the version headers on
every answer (errors too), handlers picked by version range, unversioned discovery routes."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from nimbus.kernel.app import build_app
from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import Conflict, keystone_fault
from nimbus.kernel.microversion import ByVersion, VersionedApi
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.web import Route, ServiceApi


class Validator:
    def context_for(self, token: str) -> RequestContext:
        return RequestContext(user_id="u1", project_id="p1", roles=("reader",))


def conflict(_req):
    raise Conflict("in use")


ROUTES = [
    Route("GET", "/", lambda req: {"version": str(req.version)}, versioned=False),
    Route("GET", "/echo", lambda req: {"version": str(req.version)}, "read"),
    Route("GET", "/shaped", ByVersion([("2.1", "2.9", lambda req: {"old": True}),
                                       ("2.10", None, lambda req: {"new": True})]), "read"),
    Route("GET", "/recent", ByVersion([("2.50", None, lambda req: {"recent": True})]), "read"),
    Route("GET", "/conflict", conflict, "read"),
]


@pytest.fixture
def client():
    api = ServiceApi("compute", "/compute", ROUTES,
                     enforcer=Enforcer({"read": ("role:reader", None)}),
                     fault_format=keystone_fault, validator=Validator(),
                     public_url="http://cloud", max_body=1024,
                     versions=VersionedApi("compute", "2.1", "2.96",
                                           legacy_header="X-OpenStack-Nova-API-Version"))
    return TestClient(build_app([api], default_limit=1024), raise_server_exceptions=False)


TOKEN = {"X-Auth-Token": "t"}


def test_the_minimum_when_none_is_asked_with_the_headers_and_vary(client):
    r = client.get("/compute/echo", headers=TOKEN)
    assert r.json() == {"version": "2.1"}
    assert r.headers["OpenStack-API-Version"] == "compute 2.1"
    assert r.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert "OpenStack-API-Version" in r.headers["Vary"]


def test_latest_the_legacy_header_and_out_of_range(client):
    latest = client.get("/compute/echo", headers={**TOKEN, "OpenStack-API-Version":
                                                  "compute latest"})
    assert latest.json() == {"version": "2.96"}
    legacy = client.get("/compute/echo", headers={**TOKEN,
                                                  "X-OpenStack-Nova-API-Version": "2.42"})
    assert legacy.json() == {"version": "2.42"}
    assert client.get("/compute/echo", headers={**TOKEN, "OpenStack-API-Version":
                                                "compute 2.97"}).status_code == 406
    assert client.get("/compute/echo", headers={**TOKEN, "OpenStack-API-Version":
                                                "compute 2.x"}).status_code == 400


def test_handlers_by_version_and_routes_that_do_not_exist_yet(client):
    def get(path, version):
        return client.get(path, headers={**TOKEN, "OpenStack-API-Version": f"compute {version}"})
    assert get("/compute/shaped", "2.9").json() == {"old": True}
    assert get("/compute/shaped", "2.10").json() == {"new": True}
    assert get("/compute/recent", "2.49").status_code == 404
    assert get("/compute/recent", "2.50").json() == {"recent": True}


def test_errors_carry_the_version_headers(client):
    r = client.get("/compute/conflict", headers={**TOKEN, "OpenStack-API-Version":
                                                 "compute 2.60"})
    assert r.status_code == 409
    assert r.headers["OpenStack-API-Version"] == "compute 2.60"


def test_discovery_is_not_negotiated(client):
    r = client.get("/compute/", headers={"OpenStack-API-Version": "compute 9.9"})
    assert r.status_code == 200 and r.json() == {"version": "None"}
    assert "OpenStack-API-Version" not in r.headers
