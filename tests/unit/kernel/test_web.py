"""The kernel's request pipeline, on a tiny API served in-process."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from starlette.testclient import TestClient

from nimbus.kernel.app import build_app
from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import Conflict, Forbidden, Unauthorized, keystone_fault
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.web import Reply, Route, ServiceApi

SECRET = "s3cr3t-token-value"


class Validator:
    def context_for(self, token: str) -> RequestContext:
        if token != SECRET:
            raise Unauthorized()
        return RequestContext(user_id="u1", project_id="p1", roles=("reader",))


def boom(_req):
    raise RuntimeError("database password is hunter2")


ROUTES = [
    Route("GET", "/things", lambda req: {"things": [], "user": req.ctx.user_id}, "read"),
    Route("POST", "/things", lambda req: Reply(req.json_object("thing"), status=201), "write"),
    Route("GET", "/open", lambda req: {"open": True}),
    Route("POST", "/echo", lambda req: req.json_object("thing")),
    Route("GET", "/conflict", lambda req: (_ for _ in ()).throw(Conflict("taken")), "read"),
    Route("GET", "/boom", boom, "read"),
]


@pytest.fixture
def client():
    api = ServiceApi("test", "/test", ROUTES,
                     enforcer=Enforcer({"read": ("role:reader", None),
                                        "write": ("role:admin", None)}),
                     fault_format=keystone_fault, validator=Validator(),
                     public_url="http://cloud", max_body=1024)
    return TestClient(build_app([api], default_limit=1024), raise_server_exceptions=False)


def auth(**extra):
    return {"X-Auth-Token": SECRET, **extra}


def test_every_answer_carries_a_request_id(client):
    for response in (client.get("/test/things", headers=auth()), client.get("/test/nope"),
                     client.get("/test/things"), client.get("/elsewhere")):
        assert response.headers["x-openstack-request-id"].startswith("req-")


def test_token_and_policy(client):
    assert client.get("/test/things", headers=auth()).json()["user"] == "u1"
    denied = client.post("/test/things", headers=auth(), json={"thing": {}})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == 403
    missing = client.get("/test/things")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Keystone uri="http://cloud/identity"'
    assert client.get("/test/open").json() == {"open": True}


def test_head_answers_like_get_without_body(client):
    response = client.head("/test/things", headers=auth())
    assert response.status_code == 200 and response.content == b""


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/test/things", headers=auth())
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["error"]["code"] == 405


def test_typed_error_rendered_in_api_format(client):
    response = client.get("/test/conflict", headers=auth())
    assert response.status_code == 409
    assert response.json() == {"error": {"code": 409, "title": "Conflict", "message": "taken"}}


def test_unexpected_error_is_500_without_details(client, caplog):
    response = client.get("/test/boom", headers=auth())
    assert response.status_code == 500
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.json()["error"]["code"] == 500


def test_body_limit(client):
    response = client.post("/test/things", headers=auth(), content=b"x" * 2000)
    assert response.status_code == 413 and response.json()["error"]["code"] == 413


@pytest.mark.parametrize("body", [b"{", b"", b"[]", b'{"thing": 3}', b'{"other": {}}',
                                  b"\xff\xfe"])
def test_malformed_json_is_400(client, body):
    response = client.post("/test/echo", content=body)
    assert response.status_code == 400 and response.json()["error"]["code"] == 400


def test_access_log_is_structured_and_has_no_secrets(client, caplog):
    inbound = "req-12345678-1234-1234-1234-123456789abc"
    with caplog.at_level(logging.INFO, logger="nimbus.access"):
        client.get("/test/things?password=x", headers=auth(**{"X-OpenStack-Request-ID": inbound}))
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "nimbus.access"]
    assert lines and lines[-1]["global_request_id"] == inbound
    assert lines[-1]["path"] == "/test/things" and lines[-1]["status"] == 200
    assert SECRET not in caplog.text and "password=x" not in caplog.text


def test_invalid_inbound_request_id_is_ignored(client, caplog):
    with caplog.at_level(logging.INFO, logger="nimbus.access"):
        client.get("/test/open", headers={"X-OpenStack-Request-ID": "not-an-id"})
    line = json.loads([r for r in caplog.records if r.name == "nimbus.access"][-1].getMessage())
    assert line["global_request_id"] is None


def owner_api() -> ServiceApi:
    return ServiceApi("test", "/test", [], enforcer=Enforcer(
        {"own": ("user_id:%(target.owner)s", None)}), fault_format=keystone_fault,
        validator=Validator(), public_url="http://cloud", max_body=1024)


def test_a_kept_policy_decision_holds_only_for_its_own_target():
    api = owner_api()
    ctx = RequestContext(user_id="u1")
    api.authorize("own", ctx, {"target": {"owner": "u1"}})
    api.authorize("own", ctx, {"target": {"owner": "u1"}})  # kept, still allowed
    for other in ({"owner": "u2"}, {"owner": 1}, {}, {"owner": ["u1"]}):
        with pytest.raises(Forbidden):
            api.authorize("own", ctx, {"target": other})
    with pytest.raises(Forbidden):  # a denial is never kept as a grant
        api.authorize("own", ctx, {"target": {"owner": "u2"}})


def test_a_context_made_from_another_keeps_no_decision():
    api = owner_api()
    ctx = RequestContext(user_id="u1")
    api.authorize("own", ctx, {"target": {"owner": "u1"}})
    assert ctx.policy_decisions
    other = dataclasses.replace(ctx, user_id="u2")
    assert not other.policy_decisions
    with pytest.raises(Forbidden):
        api.authorize("own", other, {"target": {"owner": "u1"}})


def test_access_log_lines_stay_json_whatever_the_path(client, caplog):
    with caplog.at_level(logging.INFO, logger="nimbus.access"):
        client.get('/test/a%22b%5Cc%0Ad\u00e9', headers=auth())
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "nimbus.access"]
    assert lines[-1]["path"] == '/test/a"b\\c\nd\u00e9' and lines[-1]["status"] == 404
    assert lines[-1]["global_request_id"] is None and lines[-1]["request_id"].startswith("req-")
    assert lines[-1]["method"] == "GET" and isinstance(lines[-1]["ms"], float)


def test_any_unknown_method_is_405_in_the_api_format(client):
    response = client.request("TRACE", "/test/things", headers=auth())
    assert response.status_code == 405 and response.json()["error"]["code"] == 405
    assert response.headers["allow"] == "GET, POST"
