"""Streaming routes: bodies read as they arrive (no body limit), replies sent as they are made."""

from __future__ import annotations

import hashlib

import anyio
import pytest
from starlette.testclient import TestClient

from nimbus.kernel.app import build_app
from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import Unauthorized, keystone_fault
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.web import BodyStream, ClientDisconnected, Reply, Route, ServiceApi

TOKEN = "t0ken"
LIMIT = 1024


class Validator:
    def context_for(self, token: str) -> RequestContext:
        if token != TOKEN:
            raise Unauthorized()
        return RequestContext(user_id="u1", project_id="p1", roles=("member",))


def digest_upload(req):
    sha, size, chunks = hashlib.sha256(), 0, 0
    for chunk in req.stream:
        sha.update(chunk)
        size += len(chunk)
        chunks += 1
    return {"size": size, "sha256": sha.hexdigest(), "chunks": chunks, "body": len(req.body)}


def count_buffered(req):
    return {"size": sum(len(c) for c in req.stream), "body": len(req.body)}


def download(req):
    count = int(req.query.get("count", "3"))
    return Reply((b"x" * 1000 for _ in range(count)), content_type="application/octet-stream",
                 headers={"Content-Length": str(1000 * count)})


ROUTES = [
    Route("PUT", "/things/{thing_id}/file", digest_upload, "member", stream=True),
    Route("POST", "/things/{thing_id}/file", count_buffered, "member"),
    Route("GET", "/things/{thing_id}/file", download, "member"),
    Route("GET", "/things/{thing_id}", lambda req: {"ok": True}, "owner",
          lambda req: {"project_id": req.path_params["thing_id"]}),
]


def make_api(flat_targets: bool = False) -> ServiceApi:
    rules = {"member": ("role:member", None), "owner": ("project_id:%(project_id)s", None)}
    return ServiceApi("test", "/test", ROUTES, enforcer=Enforcer(rules),
                      fault_format=keystone_fault, validator=Validator(),
                      public_url="http://cloud", max_body=LIMIT, flat_targets=flat_targets)


@pytest.fixture
def client():
    return TestClient(build_app([make_api(flat_targets=True)], default_limit=LIMIT),
                      raise_server_exceptions=False)


def pieces(data: bytes, size: int):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_streaming_route_reads_chunks_past_the_body_limit(client):
    data = bytes(range(256)) * 400  # 100 KiB, 100 times the limit
    response = client.put("/test/things/a/file", content=pieces(data, 7000),
                          headers={"X-Auth-Token": TOKEN})
    assert response.status_code == 200
    got = response.json()
    assert got["size"] == len(data) and got["sha256"] == hashlib.sha256(data).hexdigest()
    assert got["body"] == 0  # the test client sends one chunk; BodyStream tests cover more


def test_declared_length_over_the_limit_passes_only_on_the_streaming_route(client):
    data = b"y" * (LIMIT * 3)
    ok = client.put("/test/things/a/file", content=data, headers={"X-Auth-Token": TOKEN})
    assert ok.status_code == 200 and ok.json()["size"] == len(data)
    refused = client.post("/test/things/a/file", content=data, headers={"X-Auth-Token": TOKEN})
    assert refused.status_code == 413
    refused_chunked = client.post("/test/things/a/file", content=pieces(data, 500),
                                  headers={"X-Auth-Token": TOKEN})
    assert refused_chunked.status_code == 413


def test_other_routes_still_see_the_whole_body_as_one_chunk(client):
    response = client.post("/test/things/a/file", content=b"z" * 100,
                           headers={"X-Auth-Token": TOKEN})
    assert response.json() == {"size": 100, "body": 100}


def test_streaming_route_still_needs_a_token(client):
    response = client.put("/test/things/a/file", content=b"data")
    assert response.status_code == 401


def test_reply_with_an_iterator_is_streamed(client):
    response = client.get("/test/things/a/file?count=5", headers={"X-Auth-Token": TOKEN})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == "5000"
    assert response.content == b"x" * 5000


def test_flat_targets_put_the_target_at_the_top_of_the_rule(client):
    assert client.get("/test/things/p1", headers={"X-Auth-Token": TOKEN}).status_code == 200
    assert client.get("/test/things/p2", headers={"X-Auth-Token": TOKEN}).status_code == 403


def test_nested_targets_stay_the_default():
    nested = TestClient(build_app([make_api()], default_limit=LIMIT))
    # With targets nested under "target", %(project_id)s finds no key and the rule denies.
    assert nested.get("/test/things/p1", headers={"X-Auth-Token": TOKEN}).status_code == 403


def run_in_worker(messages: list[dict]) -> list[bytes]:
    async def main() -> list[bytes]:
        queue = list(messages)

        async def receive() -> dict:
            return queue.pop(0)

        return await anyio.to_thread.run_sync(lambda: list(BodyStream(receive)))

    return anyio.run(main)


def test_body_stream_yields_chunks_until_the_last_message():
    got = run_in_worker([{"type": "http.request", "body": b"ab", "more_body": True},
                         {"type": "http.request", "body": b"", "more_body": True},
                         {"type": "http.request", "body": b"cd", "more_body": False}])
    assert got == [b"abcd"]


def test_body_stream_gathers_messages_up_to_a_batch(monkeypatch):
    monkeypatch.setattr(BodyStream, "BATCH", 3)
    got = run_in_worker([{"type": "http.request", "body": b"ab", "more_body": True},
                         {"type": "http.request", "body": b"cd", "more_body": True},
                         {"type": "http.request", "body": b"ef", "more_body": True},
                         {"type": "http.request", "body": b"", "more_body": False}])
    assert got == [b"abcd", b"ef"]


def test_body_stream_raises_when_the_client_goes_away():
    with pytest.raises(ClientDisconnected) as caught:
        run_in_worker([{"type": "http.request", "body": b"ab", "more_body": True},
                       {"type": "http.disconnect"}])
    assert caught.value.status == 400
