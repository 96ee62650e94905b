"""S3 signatures and errors (bad signature, wrong secret, unknown key, skewed clock,
malformed XML, V2), per-project isolation, the same objects through Swift and S3, and the
`aws` CLI (s3 and s3api)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import httpx
import pytest

from tests.api.object.conftest import s3_client, unique
from tests.conftest import LiveCloud


def error_of(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    err = info.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]


def test_wrong_secret_signature_does_not_match(cloud: LiveCloud,
                                               admin_ec2: tuple[str, str]) -> None:
    bad = s3_client(cloud, admin_ec2[0], "not-the-secret")
    assert error_of(bad.list_buckets) == (403, "SignatureDoesNotMatch")


def test_unknown_access_key(cloud: LiveCloud) -> None:
    bad = s3_client(cloud, "nosuchkey", "whatever")
    assert error_of(bad.list_buckets) == (403, "InvalidAccessKeyId")


def test_raw_errors_are_s3_xml(cloud: LiveCloud) -> None:
    anonymous = httpx.get(f"{cloud.url}/s3/")
    assert anonymous.status_code == 403
    assert anonymous.headers["content-type"].startswith("application/xml")
    assert b"<Error><Code>AccessDenied</Code>" in anonymous.content
    assert b"<RequestId>" in anonymous.content and b"<Resource>/s3/</Resource>" in \
        anonymous.content
    forged = httpx.get(f"{cloud.url}/s3/b", headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/RegionOne/s3/aws4_request, "
                         "SignedHeaders=host, Signature=00"})
    assert forged.status_code == 403 and b"InvalidAccessKeyId" in forged.content


def test_skewed_clock(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request signed (by botocore) with a clock an hour behind."""
    import datetime

    import botocore.auth

    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda: real() - datetime.timedelta(hours=1))
    assert error_of(s3.list_buckets) == (403, "RequestTimeTooSkewed")


def test_malformed_xml(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()

    def broken(request: Any, **_kw: Any) -> None:
        request.data = b"<Delete><Object><Key>a</Key></Object"
        for name in ("Content-MD5", "x-amz-checksum-crc32", "x-amz-checksum-crc64nvme"):
            if name in request.headers:  # (the checksums were of the good body)
                del request.headers[name]

    s3.meta.events.register_first("before-sign.s3.DeleteObjects", broken)
    try:
        assert error_of(lambda: s3.delete_objects(
            Bucket=name, Delete={"Objects": [{"Key": "a"}]})) == (400, "MalformedXML")
    finally:
        s3.meta.events.unregister("before-sign.s3.DeleteObjects", broken)
    assert error_of(lambda: s3.put_bucket_versioning(
        Bucket=name, VersioningConfiguration={"Status": "Maybe"})) == (400, "MalformedXML")


def test_signature_v2(cloud: LiveCloud, admin_ec2: tuple[str, str],
                      make_bucket: Callable[..., str]) -> None:
    import boto3
    from botocore.config import Config

    v2 = boto3.client("s3", endpoint_url=f"{cloud.url}/s3", region_name="RegionOne",
                      aws_access_key_id=admin_ec2[0], aws_secret_access_key=admin_ec2[1],
                      config=Config(signature_version="s3", s3={"addressing_style": "path"}))
    name = make_bucket()
    v2.put_object(Bucket=name, Key="v2 key", Body=b"signed v2", Metadata={"m": "1"})
    assert v2.get_object(Bucket=name, Key="v2 key")["Body"].read() == b"signed v2"
    url = v2.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "v2 key"})
    assert httpx.get(url).content == b"signed v2"
    bad = boto3.client("s3", endpoint_url=f"{cloud.url}/s3", region_name="RegionOne",
                       aws_access_key_id=admin_ec2[0], aws_secret_access_key="wrong",
                       config=Config(signature_version="s3", s3={"addressing_style": "path"}))
    assert error_of(bad.list_buckets) == (403, "SignatureDoesNotMatch")


def test_projects_are_isolated(s3_member: Callable[[], Any]) -> None:
    alice, bob = s3_member(), s3_member()
    name = unique("b")
    alice.s3.create_bucket(Bucket=name)
    try:
        alice.s3.put_object(Bucket=name, Key="secret", Body=b"alice's")
        assert name not in [b["Name"] for b in bob.s3.list_buckets()["Buckets"]]
        assert error_of(lambda: bob.s3.list_objects_v2(Bucket=name)) == (404, "NoSuchBucket")
        assert error_of(lambda: bob.s3.get_object(Bucket=name, Key="secret"))[0] == 404
        # bob's bucket of the same name is his own, in his own account
        bob.s3.create_bucket(Bucket=name)
        assert bob.s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
        bob.s3.delete_bucket(Bucket=name)
        assert alice.s3.get_object(Bucket=name, Key="secret")["Body"].read() == b"alice's"
    finally:
        alice.s3.delete_object(Bucket=name, Key="secret")
        alice.s3.delete_bucket(Bucket=name)


def test_s3_object_read_by_swift(s3: Any, swift: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    data = os.urandom(70_000)
    s3.put_object(Bucket=name, Key="dir/from-s3", Body=data, ContentType="image/png",
                  Metadata={"origin": "s3"})
    headers, body = swift.get_object(name, "dir/from-s3")
    assert body == data and headers["content-type"] == "image/png"
    assert headers["x-object-meta-origin"] == "s3"
    assert headers["etag"] == hashlib.md5(data).hexdigest()
    assert name in [c["name"] for c in swift.get_account()[1]]


def test_swift_object_read_by_s3(s3: Any, swift: Any, make_container: Callable[..., str]) -> None:
    name = make_container()
    data = os.urandom(50_000)
    swift.put_object(name, "from-swift", data, content_type="text/csv",
                     headers={"X-Object-Meta-Origin": "swift"})
    got = s3.get_object(Bucket=name, Key="from-swift")
    assert got["Body"].read() == data and got["ContentType"] == "text/csv"
    assert got["Metadata"] == {"origin": "swift"}
    assert got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]] == ["from-swift"]


@pytest.fixture
def aws(cloud: LiveCloud, admin_ec2: tuple[str, str], tmp_path: Path
        ) -> Callable[..., subprocess.CompletedProcess[str]]:
    exe = str(Path(sys.executable).parent / "aws")
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = RegionOne\ns3 =\n    addressing_style = path\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": admin_ec2[0], "AWS_SECRET_ACCESS_KEY": admin_ec2[1],
                "AWS_CONFIG_FILE": str(config),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")})

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([exe, "--endpoint-url", f"{cloud.url}/s3", *args], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=180)
        if check and proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)}: {proc.stderr}{proc.stdout}")
        return proc

    return run


def test_aws_cli(aws: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path,
                 swift: Any) -> None:
    name = unique("cli")
    aws("s3", "mb", f"s3://{name}")
    try:
        src = tmp_path / "file.bin"
        src.write_bytes(os.urandom(200_000))
        aws("s3", "cp", str(src), f"s3://{name}/dir/file.bin")
        assert "dir/" in aws("s3", "ls", f"s3://{name}").stdout
        assert "file.bin" in aws("s3", "ls", f"s3://{name}/dir/").stdout
        aws("s3", "cp", f"s3://{name}/dir/file.bin", str(tmp_path / "back.bin"))
        assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
        assert swift.get_object(name, "dir/file.bin")[1] == src.read_bytes()
        out = aws("s3api", "head-object", "--bucket", name, "--key", "dir/file.bin").stdout
        assert hashlib.md5(src.read_bytes()).hexdigest() in out
        aws("s3", "rm", f"s3://{name}/dir/file.bin")
        assert "Contents" not in aws("s3api", "list-objects-v2", "--bucket", name).stdout
        failed = aws("s3api", "get-object", "--bucket", name, "--key", "gone", "out",
                     check=False)
        assert failed.returncode != 0 and "NoSuchKey" in failed.stderr
    finally:
        aws("s3", "rb", f"s3://{name}", "--force")
    assert "NoSuchBucket" in aws("s3", "ls", f"s3://{name}", check=False).stderr


def test_keys_of_a_user_without_a_role_or_disabled(admin: Any, s3_member: Callable[[], Any]
                                                   ) -> None:
    member = s3_member()
    assert member.s3.list_buckets()["Buckets"] == []
    role = admin.identity.find_role("member", ignore_missing=False)
    admin.identity.unassign_project_role_from_user(member.project, member.user, role)
    # The server trusts a lookup for 10 s (as s3token's cache): refused within that.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            member.s3.list_buckets()
        except botocore.exceptions.ClientError as err:
            assert err.response["Error"]["Code"] == "AccessDenied"
            break
        time.sleep(1)
    else:
        raise AssertionError("a user without a role kept S3 access")


def test_swift_slo_read_by_s3(s3: Any, swift: Any, make_container: Callable[..., str]) -> None:
    """An SLO made with swiftclient reads through S3 as its segments' bytes."""
    import json

    name, segs = make_container(), make_container()
    parts = [os.urandom(1500), os.urandom(2500)]
    manifest = []
    for i, part in enumerate(parts):
        etag = swift.put_object(segs, f"seg{i}", part)
        manifest.append({"path": f"/{segs}/seg{i}", "etag": etag, "size_bytes": len(part)})
    swift.put_object(name, "large", json.dumps(manifest), content_type="application/x-l",
                     query_string="multipart-manifest=put",
                     headers={"X-Object-Meta-Kind": "slo"})
    whole = b"".join(parts)
    head = s3.head_object(Bucket=name, Key="large")
    assert head["ContentLength"] == len(whole) and head["Metadata"] == {"kind": "slo"}
    assert head["ETag"] == swift.head_object(name, "large")["etag"]
    assert s3.get_object(Bucket=name, Key="large")["Body"].read() == whole
    got = s3.get_object(Bucket=name, Key="large", Range="bytes=1400-1599")["Body"].read()
    assert got == whole[1400:1600]
    s3.copy_object(Bucket=name, Key="flat", CopySource={"Bucket": name, "Key": "large"})
    assert swift.get_object(name, "flat")[1] == whole
