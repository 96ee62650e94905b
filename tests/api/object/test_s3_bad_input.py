"""Bad S3 input answers S3's XML 4xx (never a 500) and writes nothing: odd query values,
names, copy sources, upload ids, XML bodies, a body not matching its signed SHA-256."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import LiveCloud


@pytest.fixture
def signed(cloud: LiveCloud, admin_ec2: tuple[str, str]) -> Callable[..., httpx.Response]:
    """A request signed by botocore's SigV4 signer, sent as is."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    def send(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
             sent: bytes | None = None) -> httpx.Response:
        request = AWSRequest(method, f"{cloud.url}/s3{path}", data=body or None,
                             headers=headers or {})
        S3SigV4Auth(Credentials(*admin_ec2), "s3", "RegionOne").add_auth(request)
        return httpx.request(method, request.url, headers=dict(request.headers.items()),
                             content=sent if sent is not None else (body or None))

    return send


def _code(answer: httpx.Response) -> tuple[int, str]:
    assert answer.headers["content-type"].startswith("application/xml"), answer.text
    return answer.status_code, answer.text.split("<Code>", 1)[1].split("</Code>", 1)[0]


def test_odd_queries_and_names(signed: Callable[..., httpx.Response],
                               make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    assert _code(signed("GET", f"/{name}?max-keys=abc")) == (400, "InvalidArgument")
    assert _code(signed("GET", f"/{name}?list-type=2&continuation-token=a"))[0] == 400
    assert _code(signed("PUT", f"/{name}/k?partNumber=0&uploadId=x", b"x"))[0] in (400, 404)
    assert _code(signed("PUT", f"/{name}/k?partNumber=1&uploadId=..%2F..", b"x")) == \
        (404, "NoSuchUpload")
    assert _code(signed("PUT", f"/{name}/k", b"", {"x-amz-copy-source": "nobucket"})) == \
        (400, "InvalidArgument")
    assert _code(signed("PUT", "/bad_Name!", b"")) == (400, "InvalidBucketName")
    assert _code(signed("GET", f"/{name}/" + "k" * 1100))[0] == 400
    assert _code(signed("POST", f"/{name}/k"))[0] == 501
    assert _code(signed("PUT", "/", b""))[0] == 405
    assert _code(signed("PUT", f"/{name}/k", b"x", {"Content-MD5": "not base64!"})) == \
        (400, "InvalidDigest")
    assert _code(signed("GET", f"/{name}?versions"))[0] == 501
    assert _code(signed("PUT", f"/{name}/nul%00key", b"x")) == (400, "InvalidArgument")


@pytest.mark.parametrize("path,body", [
    ("?delete", b"<Delete><Object></Object></Delete>"),
    ("?delete", b"not xml at all"),
    ("?delete", b'<!DOCTYPE x [<!ENTITY e "boom">]><Delete>&e;</Delete>'),
    ("?tagging", b"<Tagging><TagSet><Tag><Key>a</Key></Tag><Tag><Key>a</Key></Tag>"
                 b"</TagSet></Tagging>"),
    ("?cors", b"<CORSConfiguration></CORSConfiguration>"),
    ("?versioning", b"<Other/>"),
    ("?policy", b"{not json"),
])
def test_bad_documents(signed: Callable[..., httpx.Response], make_bucket: Callable[..., str],
                       path: str, body: bytes) -> None:
    name = make_bucket()
    method = "POST" if path == "?delete" else "PUT"
    status, _code_name = _code(signed(method, f"/{name}{path}", body))
    assert status == 400


def test_body_not_matching_its_signed_sha256(signed: Callable[..., httpx.Response],
                                             s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    answer = signed("PUT", f"/{name}/tampered", b"original", sent=b"tampered")
    assert _code(answer) == (400, "XAmzContentSHA256Mismatch")
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0


def test_complete_with_bad_xml_and_unknown_upload(s3: Any, signed: Callable[..., httpx.Response],
                                                  make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    upload = s3.create_multipart_upload(Bucket=name, Key="m")["UploadId"]
    assert _code(signed("POST", f"/{name}/m?uploadId={upload}", b"<Complete/>")) == \
        (400, "MalformedXML")
    assert _code(signed("POST", f"/{name}/m?uploadId={upload}",
                        b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber>"
                        b"<ETag>e</ETag></Part></CompleteMultipartUpload>")) == \
        (400, "MalformedXML")
    assert _code(signed("POST", f"/{name}/m?uploadId=nope", b"<x/>")) == (404, "NoSuchUpload")
    s3.abort_multipart_upload(Bucket=name, Key="m", UploadId=upload)
