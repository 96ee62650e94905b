"""The /metadata API served in-process: the proxy's signed headers, Nova's answers and
faults, the password handler."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from nimbus.config import Settings
from nimbus.kernel.app import build_app
from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.metadata import InstanceData, register_instance_source
from nimbus.services.compute.metadata.api import build_metadata_api, sign

from .conftest import INSTANCE_ID, PROJECT_ID, make_instance

SECRET = "s3cret-shared"


class Instances:
    """The instance source a test registers: a dict, and the passwords posted."""

    def __init__(self, *instances: InstanceData) -> None:
        self.by_id = {i.uuid: i for i in instances}

    def lookup(self, uuid: str) -> InstanceData | None:
        return self.by_id.get(uuid)

    def save_password(self, uuid: str, password: str) -> None:
        self.by_id[uuid] = dataclasses.replace(self.by_id[uuid], password=password)


@pytest.fixture
def instances() -> Instances:
    return Instances(make_instance(), make_instance(uuid="other-vm", project_id="other"))


@pytest.fixture
def client(tmp_path: Path, instances: Instances) -> Iterator[TestClient]:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    register_instance_source(runtime, instances.lookup, instances.save_password)
    api = build_metadata_api(runtime, secret=SECRET)
    yield TestClient(build_app([api], default_limit=1 << 16), raise_server_exceptions=False)
    runtime.close()


def proxied(instance_id: str = INSTANCE_ID, project_id: str = PROJECT_ID,
            secret: str = SECRET, **extra: str) -> dict[str, str]:
    """The headers Neutron's metadata proxy adds."""
    return {"X-Instance-ID": instance_id, "X-Tenant-ID": project_id,
            "X-Forwarded-For": "10.0.0.5",
            "X-Instance-ID-Signature": sign(secret, instance_id), **extra}


def test_the_root_lists_ec2_versions_without_identity(client: TestClient) -> None:
    for path in ("/metadata", "/metadata/", "/metadata//"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.text.split("\n")[-2:] == ["2009-04-04", "latest"]


def test_meta_data_json_for_the_signed_instance(client: TestClient) -> None:
    answer = client.get("/metadata/openstack/latest/meta_data.json", headers=proxied())
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    data = answer.json()
    assert data["uuid"] == INSTANCE_ID and data["project_id"] == PROJECT_ID
    listing = client.get("/metadata/openstack/", headers=proxied())
    assert listing.text.split("\n")[-1] == "latest"
    net = client.get("/metadata/openstack/latest/network_data.json", headers=proxied())
    assert net.headers["content-type"].startswith("text/plain")
    assert net.json()["networks"][0]["ip_address"] == "10.0.0.5"
    vendor = client.get("/metadata/openstack/latest/vendor_data2.json", headers=proxied())
    assert vendor.json() == {"static": {"testing": {"value1": 1, "value2": 2,
                                                    "value3": "three"}}}


def test_ec2_answers(client: TestClient) -> None:
    tree = client.get("/metadata/latest/meta-data/", headers=proxied())
    assert tree.status_code == 200 and "public-keys/" in tree.text.split("\n")
    assert client.get("/metadata/latest/meta-data/instance-id",
                      headers=proxied()).text == "i-0000002a"
    key = client.get("/metadata/2009-04-04/meta-data/public-keys/0/openssh-key",
                     headers=proxied())
    assert key.text.startswith("ssh-rsa ")
    user = client.get("/metadata/latest/user-data", headers=proxied())
    assert user.content == b"#!/bin/sh\necho 'Extra user data here'\n"
    head = client.head("/metadata/latest/meta-data/hostname", headers=proxied())
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(("drop", "message"), [
    ("X-Instance-ID", "X-Instance-ID header is missing from request."),
    ("X-Instance-ID-Signature", "X-Instance-ID-Signature header is missing from request."),
    ("X-Tenant-ID", "X-Tenant-ID header is missing from request."),
])
def test_missing_proxy_headers_are_400(client: TestClient, drop: str, message: str) -> None:
    headers = {k: v for k, v in proxied(Accept="text/plain").items() if k != drop}
    answer = client.get("/metadata/openstack/latest/meta_data.json", headers=headers)
    assert answer.status_code == 400
    assert answer.text == f"400 Bad Request\n\n{message}\n\n"


def test_bad_signatures_are_403(client: TestClient) -> None:
    forged = proxied(instance_id="other-vm", project_id="other")
    forged["X-Instance-ID-Signature"] = sign(SECRET, INSTANCE_ID)
    for headers in (forged, proxied(secret="guessed"),
                    {**proxied(), "X-Instance-ID-Signature": ""}):
        answer = client.get("/metadata/openstack/latest/meta_data.json", headers=headers)
        assert answer.status_code == 403
        assert "Invalid proxy request signature." in answer.text
    answer = client.get("/metadata/openstack", headers={**forged, "Accept": "*/*"})
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>403 Forbidden</h1>" in answer.text
    answer = client.get("/metadata/openstack", headers={**forged,
                                                        "Accept": "application/json"})
    assert answer.json() == {"message": "Invalid proxy request signature.",
                             "code": "403 Forbidden", "title": "Forbidden"}


def test_unknown_instances_and_paths_are_404(client: TestClient) -> None:
    # An unknown id; the right id with another project.
    for headers in (proxied(instance_id="no-such-vm", Accept="text/plain"),
                    proxied(project_id="someone-else", Accept="text/plain")):
        answer = client.get("/metadata/openstack/latest/meta_data.json", headers=headers)
        assert answer.status_code == 404
        assert answer.text == "404 Not Found\n\nThe resource could not be found.\n\n"
    for path in ("openstack/2011-01-01/meta_data.json", "openstack/latest/nope",
                 "latest/meta-data/nope", "3000-01-01/meta-data/"):
        assert client.get(f"/metadata/{path}", headers=proxied()).status_code == 404, path


def test_password_is_set_once(client: TestClient, instances: Instances) -> None:
    url = "/metadata/openstack/latest/password"
    empty = client.get(url, headers=proxied())
    assert empty.status_code == 200 and empty.text == ""
    too_long = client.post(url, headers=proxied(), content=b"x" * 1021)
    assert too_long.status_code == 400 and "Request is too large." in too_long.text
    assert instances.by_id[INSTANCE_ID].password is None
    assert client.post(url, headers=proxied(), content=b"c2VjcmV0" * 10).status_code == 200
    assert client.get(url, headers=proxied()).text == "c2VjcmV0" * 10
    again = client.post(url, headers=proxied(), content=b"other")
    assert again.status_code == 409
    assert instances.by_id[INSTANCE_ID].password == "c2VjcmV0" * 10
    assert client.get("/metadata/openstack/2012-08-10/password",
                      headers=proxied()).status_code == 404


def test_no_source_means_no_instances(tmp_path: Path) -> None:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    client = TestClient(build_app([build_metadata_api(runtime, secret=SECRET)],
                                  default_limit=1024))
    assert client.get("/metadata/openstack", headers=proxied()).status_code == 404
    runtime.close()


def test_the_default_secret_is_the_proxies_one(tmp_path: Path) -> None:
    from nimbus.kernel.keys import metadata_secret

    settings = Settings(data_dir=tmp_path / "data")
    runtime = Runtime(settings)
    register_instance_source(runtime, Instances(make_instance()).lookup)
    client = TestClient(build_app([build_metadata_api(runtime)], default_limit=1024))
    secret = metadata_secret(settings)
    answer = client.get("/metadata/openstack/latest/meta_data.json",
                        headers=proxied(secret=secret))
    assert json.loads(answer.text)["uuid"] == INSTANCE_ID
    # Without a way to keep passwords, setting one is not offered.
    assert client.post("/metadata/openstack/latest/password", headers=proxied(secret=secret),
                       content=b"pw").status_code == 501
    runtime.close()


def test_the_operators_vendor_data_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "vendor.json").write_text('{"site": {"region": "lab"}}')
    settings.compute.vendordata_jsonfile_path = "vendor.json"
    runtime = Runtime(settings)
    register_instance_source(runtime, Instances(make_instance(vendor_data={})).lookup)
    client = TestClient(build_app([build_metadata_api(runtime, secret=SECRET)],
                                  default_limit=1024))
    base = "/metadata/openstack/latest"
    assert client.get(f"{base}/vendor_data.json", headers=proxied()).json() == {
        "site": {"region": "lab"}}
    assert client.get(f"{base}/vendor_data2.json", headers=proxied()).json() == {
        "static": {"site": {"region": "lab"}}}
    (settings.data_dir / "vendor.json").write_text("[1, 2]")  # not an object: none
    runtime2 = Runtime(settings)
    register_instance_source(runtime2, Instances(make_instance(vendor_data={})).lookup)
    client = TestClient(build_app([build_metadata_api(runtime2, secret=SECRET)],
                                  default_limit=1024))
    assert client.get(f"{base}/vendor_data.json", headers=proxied()).json() == {}
    runtime.close()
    runtime2.close()
