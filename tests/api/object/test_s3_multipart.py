"""S3 multipart uploads through boto3: a ~100 MiB upload_file in 8 MiB parts (its ETag, the
bytes through S3 and Swift), the low-level calls (list parts and uploads, part copy, abort)
and the errors (InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from boto3.s3.transfer import TransferConfig

MIB = 1024 * 1024


def error_code(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    err = info.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]


def test_upload_file_100mib_multipart(s3: Any, swift: Any, make_bucket: Callable[..., str],
                                      tmp_path: Path) -> None:
    name = make_bucket()
    src = tmp_path / "big.bin"
    block = os.urandom(MIB)
    with open(src, "wb") as f:
        for i in range(100):
            f.write(block[i:] + block[:i])
    parts = [src.read_bytes()[i:i + 8 * MIB] for i in range(0, 100 * MIB, 8 * MIB)]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB,
                            max_concurrency=4)
    s3.upload_file(str(src), name, "big.bin", Config=config,
                   ExtraArgs={"Metadata": {"kind": "big"}, "ContentType": "application/x-big"})
    head = s3.head_object(Bucket=name, Key="big.bin")
    assert head["ETag"] == f'"{expected}-{len(parts)}"'
    assert head["ContentLength"] == 100 * MIB and head["Metadata"] == {"kind": "big"}
    assert head["ContentType"] == "application/x-big"
    whole = hashlib.md5(src.read_bytes()).hexdigest()
    got = s3.get_object(Bucket=name, Key="big.bin", Range=f"bytes={50 * MIB}-{50 * MIB + 9}")
    assert got["Body"].read() == src.read_bytes()[50 * MIB:50 * MIB + 10]
    back = tmp_path / "back.bin"
    s3.download_file(name, "big.bin", str(back), Config=config)
    assert hashlib.md5(back.read_bytes()).hexdigest() == whole
    # Swift sees one plain object with the same bytes; no segments are left behind.
    headers = swift.head_object(name, "big.bin")
    assert headers["etag"] == whole and int(headers["content-length"]) == 100 * MIB
    assert headers["x-object-meta-kind"] == "big"
    assert swift.get_container(name + "+segments")[1] == []
    assert not s3.list_multipart_uploads(Bucket=name).get("Uploads")


def test_multipart_low_level(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    s3.put_object(Bucket=name, Key="source", Body=b"s" * (6 * MIB))
    upload = s3.create_multipart_upload(Bucket=name, Key="m", Metadata={"x": "y"})["UploadId"]
    listed = s3.list_multipart_uploads(Bucket=name)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in listed] == [("m", upload)]
    one = s3.upload_part(Bucket=name, Key="m", UploadId=upload, PartNumber=1,
                         Body=b"a" * (5 * MIB))["ETag"]
    two = s3.upload_part_copy(Bucket=name, Key="m", UploadId=upload, PartNumber=2,
                              CopySource={"Bucket": name, "Key": "source"},
                              CopySourceRange="bytes=0-1023")["CopyPartResult"]["ETag"]
    three = s3.upload_part(Bucket=name, Key="m", UploadId=upload, PartNumber=3,
                           Body=b"c")["ETag"]
    parts = s3.list_parts(Bucket=name, Key="m", UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5 * MIB), (2, 1024), (3, 1)]
    page = s3.list_parts(Bucket=name, Key="m", UploadId=upload, MaxParts=2)
    assert page["IsTruncated"] and page["NextPartNumberMarker"] == 2

    def complete(numbered: list[tuple[int, str]]) -> Any:
        return s3.complete_multipart_upload(
            Bucket=name, Key="m", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in numbered]})

    assert error_code(lambda: complete([(2, two), (1, one)])) == (400, "InvalidPartOrder")
    assert error_code(lambda: complete([(1, one), (2, '"0000"')])) == (400, "InvalidPart")
    assert error_code(lambda: complete([(1, one), (2, two), (3, three)])) == \
        (400, "EntityTooSmall")
    done = complete([(1, one), (3, three)])
    assert done["ETag"].endswith('-2"')
    body = s3.get_object(Bucket=name, Key="m")
    assert body["Body"].read() == b"a" * (5 * MIB) + b"c" and body["Metadata"] == {"x": "y"}
    assert error_code(lambda: s3.list_parts(Bucket=name, Key="m", UploadId=upload)) == \
        (404, "NoSuchUpload")


def test_multipart_abort(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    upload = s3.create_multipart_upload(Bucket=name, Key="gone")["UploadId"]
    s3.upload_part(Bucket=name, Key="gone", UploadId=upload, PartNumber=1, Body=b"x")
    assert error_code(lambda: s3.delete_bucket(Bucket=name)) == (409, "BucketNotEmpty")
    s3.abort_multipart_upload(Bucket=name, Key="gone", UploadId=upload)
    assert not s3.list_multipart_uploads(Bucket=name).get("Uploads")
    assert error_code(lambda: s3.upload_part(Bucket=name, Key="gone", UploadId=upload,
                                             PartNumber=2, Body=b"y")) == (404, "NoSuchUpload")
    assert error_code(lambda: s3.abort_multipart_upload(Bucket=name, Key="gone",
                                                        UploadId="nope")) == \
        (404, "NoSuchUpload")
    assert error_code(lambda: s3.head_object(Bucket=name, Key="gone"))[0] == 404
