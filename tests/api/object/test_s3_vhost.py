"""S3 virtual-host style: with [object] s3_domain set, a Host of <bucket>.<domain> addresses
the bucket (a cloud of its own; requests signed by botocore's SigV4 signer for the virtual
host's URL, sent to the loopback address with that Host header)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.object.conftest import s3_client, unique
from tests.conftest import LiveCloud, start_cloud

DOMAIN = "s3.nimbus.test"


@pytest.fixture(scope="module")
def vhost_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCloud]:
    live = start_cloud(tmp_path_factory.mktemp("s3vhost") / "data",
                       extra_env={"NIMBUS_OBJECT__S3_DOMAIN": DOMAIN})
    yield live
    live.stop()


def _keys(cloud: LiveCloud) -> tuple[str, str]:
    env = {**cloud.env, "OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml), "OS_CLOUD": "nimbus"}
    proc = subprocess.run([str(Path(sys.executable).parent / "openstack"), "ec2",
                           "credentials", "create", "-f", "json"], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    doc = json.loads(proc.stdout)
    return doc["access"], doc["secret"]


def _virtual(cloud: LiveCloud, keys: tuple[str, str], method: str, bucket: str, key: str,
             body: bytes = b"") -> httpx.Response:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = f"{bucket}.{DOMAIN}:{cloud.port}"
    request = AWSRequest(method, f"http://{host}/{key}", data=body or None)
    S3SigV4Auth(Credentials(*keys), "s3", "RegionOne").add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = host
    return httpx.request(method, f"{cloud.url}/{key}", headers=headers, content=body or None)


def test_virtual_host_style(vhost_cloud: LiveCloud) -> None:
    keys = _keys(vhost_cloud)
    path_style = s3_client(vhost_cloud, *keys)
    name = unique("vh")
    path_style.create_bucket(Bucket=name)
    try:
        put = _virtual(vhost_cloud, keys, "PUT", name, "dir/v.txt", b"virtual host")
        assert put.status_code == 200, put.text
        got = path_style.get_object(Bucket=name, Key="dir/v.txt")["Body"].read()
        assert got == b"virtual host"
        assert _virtual(vhost_cloud, keys, "GET", name, "dir/v.txt").content == b"virtual host"
        listing = _virtual(vhost_cloud, keys, "GET", name, "")
        assert listing.status_code == 200 and b"<Key>dir/v.txt</Key>" in listing.content
        missing = _virtual(vhost_cloud, keys, "GET", name + "-no", "x")
        assert missing.status_code == 404 and b"<Code>NoSuchBucket</Code>" in missing.content
        # Another host is no bucket: the API answers as ever.
        assert httpx.get(f"{vhost_cloud.url}/identity/v3").status_code == 200
    finally:
        path_style.delete_object(Bucket=name, Key="dir/v.txt")
        path_style.delete_bucket(Bucket=name)
