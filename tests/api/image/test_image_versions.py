"""Which Image API versions Nimbus advertises, as keystoneauth and openstacksdk discover
them: v2.0 to v2.17, v2.17 current (the locations API)."""

from __future__ import annotations

import httpx

EXPECTED = [f"2.{minor}" for minor in range(18)]


def test_keystoneauth_discovers_every_version_up_to_2_17(admin):
    found = admin.session.get_all_version_data(service_type="image", interface="public")
    versions = found["RegionOne"]["public"]["image"]
    assert sorted((v["version"] for v in versions), key=lambda n: int(n.split(".")[1])) \
        == EXPECTED
    current = [v["version"] for v in versions if v["status"] == "CURRENT"]
    assert current == ["2.17"]
    assert all(v["url"].endswith("/image/v2/") for v in versions)


def test_openstacksdk_negotiates_2_17(admin):
    endpoint = admin.image.get_endpoint_data()
    assert endpoint.api_version == (2, 17)
    assert endpoint.url.rstrip("/").endswith("/image/v2")


def test_the_root_and_versions_agree(cloud):
    root = httpx.get(f"{cloud.url}/image/")
    listed = httpx.get(f"{cloud.url}/image/versions")
    assert root.status_code == 300 and listed.status_code == 200
    assert root.json() == listed.json()
    ids = [v["id"] for v in listed.json()["versions"]]
    assert ids[0] == "v2.17" and ids[-1] == "v2.0" and len(ids) == 18
