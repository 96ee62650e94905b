"""Compute's version discovery and microversion negotiation, as the clients see them."""

from __future__ import annotations

import httpx


def test_the_catalog_and_discovery_give_the_microversion_range(admin):
    data = admin.compute.get_endpoint_data()
    assert data.url.rstrip("/").endswith("/compute/v2.1")
    assert str(data.min_microversion) in ("2.1", "(2, 1)")
    assert tuple(data.max_microversion) == (2, 96)


def test_the_version_documents_need_no_token(cloud):
    root = httpx.get(f"{cloud.url}/compute/").json()
    ids = {v["id"]: v for v in root["versions"]}
    assert ids["v2.1"]["status"] == "CURRENT" and ids["v2.1"]["version"] == "2.96"
    assert ids["v2.1"]["min_version"] == "2.1"
    v21 = httpx.get(f"{cloud.url}/compute/v2.1/").json()["version"]
    assert v21["id"] == "v2.1"
    assert v21["media-types"][0]["base"] == "application/json"


def test_novaclient_negotiates_the_highest_version(cloud, admin):
    from novaclient import client as nova_client

    nova = nova_client.Client("2.1", session=admin.session)
    current = nova.versions.get_current()
    assert current.id == "v2.1" and current.version == "2.96"
