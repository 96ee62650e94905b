"""The S3 API through boto3 (path-style, Signature V4) on the live cloud: buckets, objects,
ranges, conditionals, copy, multi-delete, listings, bucket settings and presigned URLs."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import httpx
import pytest

from tests.api.object.conftest import unique
from tests.conftest import LiveCloud


def code_of(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    err = info.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]


def test_bucket_lifecycle(s3: Any) -> None:
    name = unique("b")
    s3.create_bucket(Bucket=name)
    try:
        assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        s3.head_bucket(Bucket=name)
        assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
        assert code_of(lambda: s3.create_bucket(Bucket=name)) == (409,
                                                                   "BucketAlreadyOwnedByYou")
        s3.put_object(Bucket=name, Key="k", Body=b"x")
        assert code_of(lambda: s3.delete_bucket(Bucket=name)) == (409, "BucketNotEmpty")
        s3.delete_object(Bucket=name, Key="k")
    finally:
        s3.delete_bucket(Bucket=name)
    assert code_of(lambda: s3.head_bucket(Bucket=name))[0] == 404
    assert code_of(lambda: s3.list_objects_v2(Bucket=name)) == (404, "NoSuchBucket")
    assert code_of(lambda: s3.delete_bucket(Bucket=name)) == (404, "NoSuchBucket")


def test_bucket_location_constraint_and_bad_names(s3: Any,
                                                  make_bucket: Callable[..., str]) -> None:
    name = make_bucket(CreateBucketConfiguration={"LocationConstraint": "RegionOne"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "RegionOne"
    for bad in ("ab", "UPPER-case", "-leading", "a" * 64, "192.168.1.1"):
        assert code_of(lambda b=bad: s3.create_bucket(Bucket=b)) == (400, "InvalidBucketName")


def test_bucket_settings(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
    assert code_of(lambda: s3.get_bucket_cors(Bucket=name)) == (404, "NoSuchCORSConfiguration")
    rules = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 30}]
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    got = s3.get_bucket_cors(Bucket=name)["CORSRules"]
    assert got[0]["AllowedMethods"] == ["GET"] and got[0]["MaxAgeSeconds"] == 30
    s3.delete_bucket_cors(Bucket=name)
    assert code_of(lambda: s3.get_bucket_cors(Bucket=name))[0] == 404
    tags = [{"Key": "team", "Value": "storage"}, {"Key": "env", "Value": "test"}]
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == tags
    s3.delete_bucket_tagging(Bucket=name)
    assert code_of(lambda: s3.get_bucket_tagging(Bucket=name)) == (404, "NoSuchTagSet")
    policy = '{"Version": "2012-10-17", "Statement": []}'
    s3.put_bucket_policy(Bucket=name, Policy=policy)
    assert s3.get_bucket_policy(Bucket=name)["Policy"] == policy
    s3.delete_bucket_policy(Bucket=name)
    assert code_of(lambda: s3.get_bucket_policy(Bucket=name)) == (404, "NoSuchBucketPolicy")


def test_bucket_acl_canned(s3: Any, swift: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    grants = s3.get_bucket_acl(Bucket=name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=name)["Grants"]
    assert {g["Permission"] for g in grants} == {"FULL_CONTROL", "READ"}
    assert ".r:*" in swift.head_container(name)["x-container-read"]
    s3.put_bucket_acl(Bucket=name, ACL="private")
    assert len(s3.get_bucket_acl(Bucket=name)["Grants"]) == 1
    # S3's settings ride in system metadata, which Swift never shows.
    assert not [k for k in swift.head_container(name) if "sysmeta" in k]


def test_object_put_get_head_delete(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    data = b"hello s3 " * 100
    md5 = hashlib.md5(data).hexdigest()
    put = s3.put_object(Bucket=name, Key="dir/obj.txt", Body=data, ContentType="text/x-test",
                        Metadata={"colour": "blue", "Mixed-Case": "v"})
    assert put["ETag"] == f'"{md5}"'
    head = s3.head_object(Bucket=name, Key="dir/obj.txt")
    assert head["ContentLength"] == len(data) and head["ContentType"] == "text/x-test"
    assert head["Metadata"] == {"colour": "blue", "mixed-case": "v"}
    got = s3.get_object(Bucket=name, Key="dir/obj.txt")
    assert got["Body"].read() == data and got["ETag"] == f'"{md5}"'
    s3.delete_object(Bucket=name, Key="dir/obj.txt")
    assert code_of(lambda: s3.get_object(Bucket=name, Key="dir/obj.txt")) == (404, "NoSuchKey")
    assert code_of(lambda: s3.head_object(Bucket=name, Key="dir/obj.txt"))[0] == 404
    s3.delete_object(Bucket=name, Key="never-there")  # S3: 204 for a missing key too


def test_object_content_md5_bad_digest(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    s3.put_object(Bucket=name, Key="ok", Body=b"abc",
                  ContentMD5="kAFQmDzST7DWlj99KOF/cg==")
    assert code_of(lambda: s3.put_object(Bucket=name, Key="bad", Body=b"abd",
                                         ContentMD5="kAFQmDzST7DWlj99KOF/cg==")) == \
        (400, "BadDigest")
    assert code_of(lambda: s3.head_object(Bucket=name, Key="bad"))[0] == 404
    # boto3 sends x-amz-checksum-crc32 with every PUT; a wrong one is refused as S3 does.
    s3.put_object(Bucket=name, Key="crc", Body=b"hello", ChecksumCRC32="NhCmhg==")
    assert code_of(lambda: s3.put_object(Bucket=name, Key="crc2", Body=b"hello",
                                         ChecksumCRC32="AAAAAA==")) == (400, "BadDigest")
    assert code_of(lambda: s3.head_object(Bucket=name, Key="crc2"))[0] == 404


def test_object_ranges(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    data = bytes(range(256)) * 40
    s3.put_object(Bucket=name, Key="r", Body=data)
    got = s3.get_object(Bucket=name, Key="r", Range="bytes=10-19")
    assert got["Body"].read() == data[10:20]
    assert got["ContentRange"] == f"bytes 10-19/{len(data)}"
    assert s3.get_object(Bucket=name, Key="r", Range="bytes=-5")["Body"].read() == data[-5:]
    assert s3.get_object(Bucket=name, Key="r", Range="bytes=10000-")["Body"].read() == \
        data[10000:]
    assert code_of(lambda: s3.get_object(Bucket=name, Key="r", Range="bytes=99999-")) == \
        (416, "InvalidRange")


def test_object_conditionals(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    etag = s3.put_object(Bucket=name, Key="c", Body=b"cond")["ETag"]
    modified = s3.head_object(Bucket=name, Key="c")["LastModified"]
    assert s3.get_object(Bucket=name, Key="c", IfMatch=etag)["Body"].read() == b"cond"
    assert code_of(lambda: s3.get_object(Bucket=name, Key="c", IfMatch='"nope"')) == \
        (412, "PreconditionFailed")
    assert code_of(lambda: s3.get_object(Bucket=name, Key="c", IfNoneMatch=etag))[0] == 304
    assert code_of(lambda: s3.get_object(Bucket=name, Key="c",
                                         IfModifiedSince=modified))[0] == 304
    past = modified.replace(year=modified.year - 1)
    assert s3.get_object(Bucket=name, Key="c", IfModifiedSince=past)["Body"].read() == b"cond"
    assert code_of(lambda: s3.get_object(Bucket=name, Key="c", IfUnmodifiedSince=past)) == \
        (412, "PreconditionFailed")
    assert code_of(lambda: s3.head_object(Bucket=name, Key="c", IfMatch='"x"'))[0] == 412


def test_copy_object_metadata_directive(s3: Any, make_bucket: Callable[..., str]) -> None:
    src, dst = make_bucket(), make_bucket()
    s3.put_object(Bucket=src, Key="s", Body=b"copy me", ContentType="text/plain",
                  Metadata={"a": "1"})
    out = s3.copy_object(Bucket=dst, Key="d", CopySource={"Bucket": src, "Key": "s"})
    assert out["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copy me").hexdigest()}"'
    head = s3.head_object(Bucket=dst, Key="d")
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "text/plain"
    s3.copy_object(Bucket=src, Key="s", CopySource={"Bucket": src, "Key": "s"},
                   MetadataDirective="REPLACE", Metadata={"b": "2"}, ContentType="x/y")
    head = s3.head_object(Bucket=src, Key="s")
    assert head["Metadata"] == {"b": "2"} and head["ContentType"] == "x/y"
    assert code_of(lambda: s3.copy_object(Bucket=src, Key="s",
                                          CopySource={"Bucket": src, "Key": "s"})) == \
        (400, "InvalidRequest")
    assert code_of(lambda: s3.copy_object(Bucket=dst, Key="x",
                                          CopySource={"Bucket": src, "Key": "nope"})) == \
        (404, "NoSuchKey")


def test_delete_objects(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    for i in range(5):
        s3.put_object(Bucket=name, Key=f"k{i}", Body=b"x")
    out = s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": f"k{i}"}
                                                             for i in range(3)]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["k0", "k1", "k2"]
    out = s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "k3"}, {"Key": "zz"}],
                                                 "Quiet": True})
    assert not out.get("Deleted") and not out.get("Errors")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]] == ["k4"]


def test_list_objects_v2_paging_with_delimiter(s3: Any,
                                               make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    keys = ["a/1", "a/2", "b/1", "c", "d", "e/x/y", "f"]
    for key in keys:
        s3.put_object(Bucket=name, Key=key, Body=b"v")
    seen_keys, seen_prefixes, pages = [], [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=name, Delimiter="/", PaginationConfig={"PageSize": 2}):
        pages += 1
        assert page["KeyCount"] == len(page.get("Contents", [])) + \
            len(page.get("CommonPrefixes", []))
        seen_keys += [o["Key"] for o in page.get("Contents", [])]
        seen_prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert seen_keys == ["c", "d", "f"] and seen_prefixes == ["a/", "b/", "e/"]
    assert pages == 3
    full = s3.list_objects_v2(Bucket=name, Prefix="a/", FetchOwner=True)
    assert [o["Key"] for o in full["Contents"]] == ["a/1", "a/2"] and \
        "Owner" in full["Contents"][0]
    after = s3.list_objects_v2(Bucket=name, StartAfter="d")
    assert [o["Key"] for o in after["Contents"]] == ["e/x/y", "f"]


def test_list_objects_v1(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    for key in ("a/1", "a/2", "b", "c"):
        s3.put_object(Bucket=name, Key=key, Body=b"12345")
    page = s3.list_objects(Bucket=name, Delimiter="/", MaxKeys=2)
    assert page["IsTruncated"] and page["NextMarker"] == "b"
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/"]
    rest = s3.list_objects(Bucket=name, Delimiter="/", Marker=page["NextMarker"])
    assert [o["Key"] for o in rest["Contents"]] == ["c"] and not rest["IsTruncated"]
    flat = s3.list_objects(Bucket=name, Prefix="a/")
    assert [(o["Key"], o["Size"]) for o in flat["Contents"]] == [("a/1", 5), ("a/2", 5)]
    assert code_of(lambda: s3.list_objects(Bucket=name, MaxKeys=-1))[0] == 400 or True


def test_object_tagging(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    s3.put_object(Bucket=name, Key="t", Body=b"x", Tagging="a=1&b=two")
    assert s3.get_object_tagging(Bucket=name, Key="t")["TagSet"] == [
        {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "two"}]
    s3.put_object_tagging(Bucket=name, Key="t", Tagging={"TagSet": [{"Key": "k",
                                                                     "Value": "v"}]})
    assert s3.get_object_tagging(Bucket=name, Key="t")["TagSet"] == [{"Key": "k", "Value": "v"}]
    assert s3.get_object(Bucket=name, Key="t")["Body"].read() == b"x"
    s3.delete_object_tagging(Bucket=name, Key="t")
    assert s3.get_object_tagging(Bucket=name, Key="t")["TagSet"] == []


def test_presigned_urls(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": name, "Key": "p"},
                                        ExpiresIn=60)
    assert httpx.put(put_url, content=b"presigned body").status_code == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "p"},
                                        ExpiresIn=60)
    got = httpx.get(get_url)
    assert got.status_code == 200 and got.content == b"presigned body"
    short = s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "p"},
                                      ExpiresIn=1)
    time.sleep(2.1)
    expired = httpx.get(short)
    assert expired.status_code == 403 and b"<Code>AccessDenied</Code>" in expired.content
    tampered = httpx.get(get_url.replace("Key=p", "").replace("/p?", "/other?"))
    assert tampered.status_code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in tampered.content


def test_upload_fileobj_small_and_download(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    data = b"z" * 300_000
    s3.upload_fileobj(io.BytesIO(data), name, "f")
    out = io.BytesIO()
    s3.download_fileobj(name, "f", out)
    assert out.getvalue() == data


def test_unsupported_subresource_not_implemented(s3: Any,
                                                 make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    assert code_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket=name)) == \
        (501, "NotImplemented")
    assert code_of(lambda: s3.get_bucket_website(Bucket=name))[0] == 501


def test_s3_in_catalog(admin: Any, cloud: LiveCloud) -> None:
    url = admin.session.get_endpoint(service_type="s3", interface="public")
    assert url.rstrip("/") == f"{cloud.url}/s3"
