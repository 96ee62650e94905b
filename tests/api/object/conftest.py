"""Object store test fixtures: python-swiftclient connections (its Python API) for the admin
and for members of new projects, the `swift` CLI, and containers cleaned up after."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
import swiftclient
import yaml

from tests.conftest import LiveCloud


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def swift_for(sess: Any) -> swiftclient.Connection:
    return swiftclient.Connection(session=sess, os_options={"region_name": "RegionOne"},
                                  retries=0)


def empty_container(conn: swiftclient.Connection, name: str) -> None:
    try:
        _headers, listing = conn.get_container(name, full_listing=True)
    except swiftclient.ClientException:
        return
    for item in listing:
        try:
            conn.delete_object(name, item["name"])
        except swiftclient.ClientException as err:
            if err.http_status != 404:  # (an expired object, listed until the expirer runs)
                raise
    conn.delete_container(name)


@pytest.fixture(scope="session")
def swift(admin: openstack.connection.Connection) -> swiftclient.Connection:
    """swiftclient as the admin, on the admin project's account."""
    return swift_for(admin.session)


@pytest.fixture
def make_container(swift: swiftclient.Connection) -> Iterator[Callable[..., str]]:
    made: list[tuple[swiftclient.Connection, str]] = []

    def make(conn: swiftclient.Connection | None = None, headers: dict[str, str] | None = None
             ) -> str:
        conn = conn or swift
        name = unique("c")
        conn.put_container(name, headers=headers)
        made.append((conn, name))
        return name

    yield make
    for conn, name in made:
        empty_container(conn, name)


@pytest.fixture
def swift_member(make_member: Callable[..., Any]) -> Callable[..., Any]:
    """A member of a new project with its own swiftclient connection (``.swift``)."""

    def make(role: str = "member") -> Any:
        member = make_member(role)
        member.swift = swift_for(member.session)
        return member

    return make


@pytest.fixture
def swift_cli(cloud: LiveCloud, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the `swift` CLI as the admin (Keystone v3 from clouds.yaml), in tmp_path."""
    exe = shutil.which("swift") or str(Path(sys.executable).parent / "swift")
    auth = yaml.safe_load(cloud.clouds_yaml.read_text())["clouds"]["nimbus"]["auth"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "ST_"))}
    env.update({"OS_AUTH_URL": f"{cloud.auth_url}/v3", "OS_USERNAME": auth["username"],
                "OS_PASSWORD": auth["password"], "OS_PROJECT_NAME": auth["project_name"],
                "OS_USER_DOMAIN_NAME": auth["user_domain_name"],
                "OS_PROJECT_DOMAIN_NAME": auth["project_domain_name"],
                "OS_IDENTITY_API_VERSION": "3", "OS_AUTH_VERSION": "3"})

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([exe, *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"swift {' '.join(args)} failed: {proc.stderr}{proc.stdout}")
        return proc

    return run


# == S3 (tests/api/object/test_s3_*.py): boto3 clients on Keystone EC2 credentials ===========
def s3_client(cloud: LiveCloud, access: str, secret: str, **config: Any) -> Any:
    """boto3's S3 client, path-style at the cloud's /s3, signing with Signature V4."""
    import boto3
    from botocore.config import Config

    conf = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                  retries={"max_attempts": 1}, **config)
    return boto3.client("s3", endpoint_url=f"{cloud.url}/s3", region_name="RegionOne",
                        aws_access_key_id=access, aws_secret_access_key=secret, config=conf)


def ec2_credentials_cli(env: dict[str, str]) -> tuple[str, str]:
    """`openstack ec2 credentials create` as the environment's user: (access, secret)."""
    exe = shutil.which("openstack") or str(Path(sys.executable).parent / "openstack")
    proc = subprocess.run([exe, "ec2", "credentials", "create", "-f", "json"], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    import json

    doc = json.loads(proc.stdout)
    return doc["access"], doc["secret"]


@pytest.fixture(scope="session")
def admin_ec2(cloud: LiveCloud, client_env: dict[str, str]) -> tuple[str, str]:
    return ec2_credentials_cli(client_env)


@pytest.fixture(scope="session")
def s3(cloud: LiveCloud, admin_ec2: tuple[str, str]) -> Any:
    return s3_client(cloud, *admin_ec2)


def empty_bucket(client: Any, name: str) -> None:
    try:
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
            client.abort_multipart_upload(Bucket=name, Key=upload["Key"],
                                          UploadId=upload["UploadId"])
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)
    except client.exceptions.NoSuchBucket:
        pass


@pytest.fixture
def make_bucket(s3: Any) -> Iterator[Callable[..., str]]:
    made: list[tuple[Any, str]] = []

    def make(client: Any = None, **kw: Any) -> str:
        client = client or s3
        name = unique("b")
        client.create_bucket(Bucket=name, **kw)
        made.append((client, name))
        return name

    yield make
    for client, name in made:
        empty_bucket(client, name)


@pytest.fixture
def s3_member(cloud: LiveCloud, admin: openstack.connection.Connection,
              make_member: Callable[..., Any]) -> Callable[[], Any]:
    """A member of a new project with ec2 keys made through openstacksdk's credentials API
    and a boto3 client on them (``.s3``)."""
    import json

    def make() -> Any:
        member = make_member()
        access, secret = uuid.uuid4().hex, uuid.uuid4().hex
        member.conn.identity.create_credential(
            type="ec2", user_id=member.user.id, project_id=member.project.id,
            blob=json.dumps({"access": access, "secret": secret}))
        member.access, member.secret = access, secret
        member.s3 = s3_client(cloud, access, secret)
        return member

    return make
