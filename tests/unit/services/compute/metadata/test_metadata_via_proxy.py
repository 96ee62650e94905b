"""Through the real metadata proxy (nimbus/agents/network/metadata_proxy.py, run in-process
on loopback as its own tests run it) to the metadata API served over 127.0.0.1: the guest
gets its own instance's data, whatever identity it claims; and cloud-init's metadata
service reader reads it."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

from nimbus.agents.network import metadata_proxy as mp
from nimbus.config import Settings
from nimbus.kernel.app import build_app
from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.metadata import register_instance_source
from nimbus.services.compute.metadata.api import build_metadata_api

from .conftest import INSTANCE_ID, KEY, PROJECT_ID, make_instance

SECRET = "proxy-and-api-share-this"
OTHER_ID = "0d5e0b55-6a3c-4d8e-8f3e-5c8e2b7a1d00"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def metadata_url(tmp_path: Path) -> Iterator[str]:
    """The metadata API, served by uvicorn on a loopback port."""
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    instances = {i.uuid: i for i in (make_instance(),
                                     make_instance(uuid=OTHER_ID, name="victim"))}
    register_instance_source(runtime, instances.get)
    app = build_app([build_metadata_api(runtime, secret=SECRET)], default_limit=1 << 16)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}/metadata/"
    server.should_exit = True
    thread.join(10)
    runtime.close()


def _table(url: str, secret: str) -> dict[str, Any]:
    # The guest's address is 127.0.0.1: the proxy sees loopback connections as from it.
    return {"router_id": "router-1", "url": url, "secret": secret,
            "networks": [{"id": "net-1", "cidrs": ["127.0.0.0/8"]}],
            "ports": {"net-1": {"127.0.0.1": {"device_id": INSTANCE_ID,
                                              "project_id": PROJECT_ID}}}}


@pytest.fixture
def start_proxy(tmp_path: Path) -> Iterator[Any]:
    servers: list[Any] = []

    def start(url: str, secret: str = SECRET) -> int:
        table = tmp_path / f"table-{len(servers)}.json"
        table.write_text(json.dumps(_table(url, secret)))
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        server = mp._Server(sock, str(table))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return int(sock.getsockname()[1])

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _get(port: int, path: str, headers: dict[str, str] | None = None
         ) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def test_the_guest_gets_its_own_meta_data(metadata_url: str, start_proxy: Any) -> None:
    port = start_proxy(metadata_url)
    status, body = _get(port, "/openstack/latest/meta_data.json")
    assert status == 200
    assert json.loads(body)["uuid"] == INSTANCE_ID
    # Claiming another instance's identity, even with a signature made up for it: the
    # proxy drops the guest's headers and vouches for the address's own instance.
    forged = {"X-Instance-ID": OTHER_ID, "X-Tenant-ID": PROJECT_ID,
              "X-Instance-ID-Signature": mp.sign_instance_id("guess", OTHER_ID)}
    status, body = _get(port, "/openstack/latest/meta_data.json", forged)
    assert status == 200 and json.loads(body)["uuid"] == INSTANCE_ID
    status, body = _get(port, "/latest/meta-data/instance-id")
    assert (status, body) == (200, b"i-0000002a")


def test_forged_identities_are_refused(metadata_url: str, start_proxy: Any) -> None:
    api_port = int(metadata_url.split(":")[2].split("/")[0])
    forged = {"X-Instance-ID": OTHER_ID, "X-Tenant-ID": PROJECT_ID,
              "X-Forwarded-For": "10.0.0.5", "Accept": "text/plain",
              "X-Instance-ID-Signature": mp.sign_instance_id("guess", OTHER_ID)}
    status, body = _get(api_port, "/metadata/openstack/latest/meta_data.json", forged)
    assert status == 403 and b"Invalid proxy request signature." in body
    # A proxy that signs with another secret is not believed either.
    port = start_proxy(metadata_url, secret="not-the-api-one")
    status, _body = _get(port, "/openstack/latest/meta_data.json")
    assert status == 403


def test_cloud_init_reads_the_metadata_service(cloudinit: ModuleType, metadata_url: str,
                                               start_proxy: Any) -> None:
    from cloudinit.sources.helpers import ec2

    base = f"http://127.0.0.1:{start_proxy(metadata_url)}"
    reader = cloudinit.MetadataReader(base, timeout=10, retries=0)
    # Its EC2 half asks 169.254.169.254 itself: point that at the proxy too.
    reader._read_ec2_metadata = lambda: ec2.get_instance_metadata(
        metadata_address=base, timeout=10, retries=0)
    result = reader.read_v2()
    meta = result["metadata"]
    assert meta["instance-id"] == INSTANCE_ID and meta["name"] == "test"
    assert meta["public_keys"] == {"mykey": KEY}
    assert result["userdata"] == b"#!/bin/sh\necho 'Extra user data here'\n"
    assert result["vendordata2"]["static"]["testing"]["value3"] == "three"
    assert result["networkdata"]["networks"][1]["type"] == "ipv6_slaac"
    ec2_md = result["ec2-metadata"]
    assert ec2_md["instance-id"] == "i-0000002a"
    assert ec2_md["public-keys"] == {"mykey": [KEY.strip()]}
    assert ec2_md["placement"] == {"availability-zone": "nova"}
    assert ec2_md["block-device-mapping"] == {"ami": "vda", "root": "/dev/vda"}
    assert ec2_md["local-ipv4"] == "10.0.0.5"
    user = ec2.get_instance_userdata(metadata_address=base, timeout=10, retries=0)
    assert user == b"#!/bin/sh\necho 'Extra user data here'\n"
