"""A booted server as the metadata API tells its guest (the servers side of the metadata
service's instance source; needs compute-metadata's /metadata API)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest


def signed(cloud, server) -> dict[str, str]:
    secret = (cloud.data_dir / "metadata-proxy-secret").read_text().strip()
    return {"X-Instance-ID": server.id, "X-Tenant-ID": server.project_id,
            "X-Forwarded-For": "10.0.0.5",
            "X-Instance-ID-Signature": hmac.new(secret.encode(), server.id.encode(),
                                                hashlib.sha256).hexdigest()}


@pytest.fixture
def metadata_api(cloud):
    assert httpx.get(f"{cloud.url}/metadata/").status_code == 200, "API missing"


def test_the_guest_sees_its_name_metadata_user_data_and_network(cloud, admin, make_server,
                                                                metadata_api):
    server = make_server(name="meta-vm", metadata={"role": "db"},
                         user_data=base64.b64encode(b"#!/bin/sh\necho hi\n").decode())
    url = f"{cloud.url}/metadata/openstack/latest"
    meta = httpx.get(f"{url}/meta_data.json", headers=signed(cloud, server)).json()
    assert meta["uuid"] == server.id and meta["name"] == "meta-vm"
    assert meta["meta"] == {"role": "db"}
    user_data = httpx.get(f"{url}/user_data", headers=signed(cloud, server))
    assert user_data.content == b"#!/bin/sh\necho hi\n"
    network = httpx.get(f"{url}/network_data.json", headers=signed(cloud, server)).json()
    port = next(iter(admin.network.ports(device_id=server.id)))
    assert [link["ethernet_mac_address"] for link in network["links"]] == [port.mac_address]
    posted = httpx.post(f"{url}/password", headers=signed(cloud, server), content="secret")
    assert posted.status_code == 200
    assert admin.compute.get_server_password(server) == "secret"
