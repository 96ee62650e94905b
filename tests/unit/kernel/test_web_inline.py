"""Inline routes: tried on the event loop, started over in a handler thread as soon as
something would block there."""

from __future__ import annotations

import threading

import pytest
from starlette.testclient import TestClient

from nimbus.kernel.app import build_app
from nimbus.kernel.concurrency import must_not_block
from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import keystone_fault
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.web import Route, ServiceApi

TOKEN = "t0ken"
attempts: list[str] = []


class Validator:
    def context_for(self, token: str) -> RequestContext:
        return RequestContext(user_id="u1", project_id="p1", roles=("reader",))


def where(_req):
    attempts.append(threading.current_thread().name)
    return {"thread": threading.current_thread().name}


def blocks(_req):
    attempts.append(threading.current_thread().name)
    must_not_block("a database session")
    return {"thread": threading.current_thread().name}


ROUTES = [
    Route("GET", "/cached", where, "read", inline=True),
    Route("GET", "/blocking", blocks, "read", inline=True),
    Route("GET", "/threaded", where, "read"),
    Route("GET", "/denied", where, "admin", inline=True),
]


@pytest.fixture
def client():
    attempts.clear()
    api = ServiceApi("test", "/test", ROUTES,
                     enforcer=Enforcer({"read": ("role:reader", None),
                                        "admin": ("role:admin", None)}),
                     fault_format=keystone_fault, validator=Validator(),
                     public_url="http://cloud", max_body=1024)
    return TestClient(build_app([api], default_limit=1024), raise_server_exceptions=False)


def get(client, path):
    return client.get(path, headers={"X-Auth-Token": TOKEN})


def test_an_inline_route_answers_on_the_event_loop(client):
    answer = get(client, "/test/cached")
    assert answer.status_code == 200
    assert not answer.json()["thread"].startswith("handler")
    assert len(attempts) == 1


def test_an_inline_route_that_would_block_starts_over_in_a_handler_thread(client):
    answer = get(client, "/test/blocking")
    assert answer.status_code == 200
    assert answer.json()["thread"].startswith("handler")
    assert len(attempts) == 2 and not attempts[0].startswith("handler")


def test_other_routes_run_in_a_handler_thread(client):
    assert get(client, "/test/threaded").json()["thread"].startswith("handler")


def test_errors_of_an_inline_route_are_answered_as_usual(client):
    assert get(client, "/test/denied").status_code == 403
    assert client.get("/test/cached").status_code == 401
    assert attempts == []


def test_must_not_block_outside_the_event_loop_does_nothing():
    must_not_block("anything")
