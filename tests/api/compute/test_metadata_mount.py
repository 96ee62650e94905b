"""The metadata API in the live cloud: mounted at /metadata beside the catalog's APIs (not
in the catalog), trusting only requests signed with the data dir's proxy secret."""

from __future__ import annotations

import hashlib
import hmac

import httpx


def signed(cloud, instance_id: str, project_id: str = "p1") -> dict[str, str]:
    secret = (cloud.data_dir / "metadata-proxy-secret").read_text().strip()
    return {"X-Instance-ID": instance_id, "X-Tenant-ID": project_id,
            "X-Forwarded-For": "10.0.0.5", "Accept": "text/plain",
            "X-Instance-ID-Signature": hmac.new(secret.encode(), instance_id.encode(),
                                                hashlib.sha256).hexdigest()}


def test_the_metadata_root_lists_ec2_versions(cloud):
    answer = httpx.get(f"{cloud.url}/metadata/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.split("\n") == ["1.0", "2007-01-19", "2007-03-01", "2007-08-29",
                                       "2007-10-10", "2007-12-15", "2008-02-01",
                                       "2008-09-01", "2009-04-04", "latest"]


def test_the_metadata_api_is_not_in_the_catalog(admin):
    types = {entry["type"] for entry in admin.service_catalog}
    assert "compute" in types and "metadata" not in types


def test_requests_need_the_proxys_signed_identity(cloud):
    url = f"{cloud.url}/metadata/openstack/latest/meta_data.json"
    missing = httpx.get(url, headers={"Accept": "text/plain"})
    assert missing.status_code == 400
    assert "X-Instance-ID header is missing from request." in missing.text
    forged = {**signed(cloud, "vm-1"), "X-Instance-ID-Signature": "0" * 64}
    assert httpx.get(url, headers=forged).status_code == 403
    unknown = httpx.get(url, headers=signed(cloud, "no-such-instance"))
    assert unknown.status_code == 404
    assert unknown.text == "404 Not Found\n\nThe resource could not be found.\n\n"
