"""The metadata proxy's lookup, signature and forwarding (in this process's own netns:
no root needed)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nimbus.agents.network import metadata_proxy as mp

TABLE = {
    "router_id": "router-1",
    "url": "",
    "secret": "s3cret",
    "networks": [{"id": "net-a", "cidrs": ["10.0.0.0/24"]},
                 {"id": "net-b", "cidrs": ["127.0.0.0/8"]}],
    "ports": {"net-a": {"10.0.0.5": {"device_id": "vm-a", "project_id": "p-a"}},
              "net-b": {"127.0.0.1": {"device_id": "vm-b", "project_id": "p-b"}}},
}


def test_signature_is_neutrons_hmac_sha256() -> None:
    expected = hmac.new(b"s3cret", b"vm-a", hashlib.sha256).hexdigest()
    assert mp.sign_instance_id("s3cret", "vm-a") == expected


def test_identity_of_an_address_by_network() -> None:
    headers = mp.identity_headers(TABLE, "10.0.0.5")
    assert headers == {"X-Forwarded-For": "10.0.0.5", "X-Instance-ID": "vm-a",
                       "X-Tenant-ID": "p-a", "X-Neutron-Router-ID": "router-1",
                       "X-Instance-ID-Signature": mp.sign_instance_id("s3cret", "vm-a")}
    assert mp.identity_headers(TABLE, "10.0.0.6") is None
    assert mp.identity_headers(TABLE, "192.168.1.1") is None
    network_table = {**TABLE, "router_id": None}
    assert mp.identity_headers(network_table, "10.0.0.5")["X-Neutron-Network-ID"] == "net-a"


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[int]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    table = tmp_path / "table.json"
    table.write_text(json.dumps({**TABLE,
                                 "url": f"http://127.0.0.1:{upstream.server_address[1]}/md"}))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    server = mp._Server(sock, str(table))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield sock.getsockname()[1]
    server.shutdown()
    upstream.shutdown()


def test_forwards_with_identity_and_drops_forged_headers(proxy: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", proxy, timeout=5)
    conn.request("GET", "/latest/meta-data/", headers={"X-Instance-ID": "someone-else",
                                                       "X-Tenant-ID": "x"})
    answer = conn.getresponse()
    assert answer.status == 200
    echoed = json.loads(answer.read())
    headers = {k.lower(): v for k, v in echoed["headers"].items()}
    assert echoed["path"] == "/md/latest/meta-data/"
    assert headers["x-instance-id"] == "vm-b"
    assert headers["x-tenant-id"] == "p-b"
    assert headers["x-instance-id-signature"] == mp.sign_instance_id("s3cret", "vm-b")
    assert headers["x-forwarded-for"] == "127.0.0.1"


def test_unknown_address_is_404_and_dead_upstream_502(proxy: int, tmp_path: Path) -> None:
    table = tmp_path / "table.json"
    data = json.loads(table.read_text())
    data["ports"] = {}
    table.write_text(json.dumps(data))
    conn = http.client.HTTPConnection("127.0.0.1", proxy, timeout=5)
    conn.request("GET", "/")
    assert conn.getresponse().status == 404
    data = {**TABLE, "url": "http://127.0.0.1:9/"}
    table.write_text(json.dumps(data))
    conn = http.client.HTTPConnection("127.0.0.1", proxy, timeout=5)
    conn.request("GET", "/")
    assert conn.getresponse().status == 502


def test_paths_cannot_leave_the_metadata_prefix(proxy: int) -> None:
    assert mp.safe_path("/openstack/latest/meta_data.json?x=1")
    for bad in ("/../identity/v3", "/a/%2e%2e/b", "//evil/x", "http://x/", "/a/./b"):
        assert not mp.safe_path(bad), bad
    conn = http.client.HTTPConnection("127.0.0.1", proxy, timeout=5)
    conn.request("GET", "/latest/../../identity/v3")
    assert conn.getresponse().status == 400
