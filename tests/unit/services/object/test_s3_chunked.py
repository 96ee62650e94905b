"""aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) checked against the worked example
of AWS's "Signature Calculations for the Authorization Header: Transferring Payload in
Multiple Chunks" (66,560 bytes of 'a' in a 64 KiB and a 1 KiB chunk), and the unsigned
trailer form boto3 sends."""

from __future__ import annotations

import pytest

from nimbus.services.object.s3.auth import Caller, _dechunk, signing_key
from nimbus.services.object.s3.errors import S3Error

SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
SIGS = ("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")


def _caller() -> Caller:
    key = signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3")
    return Caller("user", "project", "AKIAIOSFODNN7EXAMPLE", key, SEED, "20130524T000000Z",
                  "20130524/us-east-1/s3/aws4_request")


def _body(sigs: tuple[str, str, str] = SIGS) -> bytes:
    return (f"10000;chunk-signature={sigs[0]}\r\n".encode() + b"a" * 65536 + b"\r\n" +
            f"400;chunk-signature={sigs[1]}\r\n".encode() + b"a" * 1024 + b"\r\n" +
            f"0;chunk-signature={sigs[2]}\r\n\r\n".encode())


@pytest.mark.parametrize("cut", [1, 100, 65600, 70000])
def test_signed_chunks_of_the_aws_example(cut: int) -> None:
    body = _body()
    assert b"".join(_dechunk([body[:cut], body[cut:]], _caller())) == b"a" * 66560


def test_a_forged_chunk_is_refused() -> None:
    body = _body((SIGS[0], "0" * 64, SIGS[2]))
    with pytest.raises(S3Error) as info:
        b"".join(_dechunk([body], _caller()))
    assert info.value.code == "SignatureDoesNotMatch"


def test_unsigned_chunks_with_a_trailer() -> None:
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
    assert b"".join(_dechunk([body], None)) == b"hello world"


def test_a_short_body_is_incomplete() -> None:
    with pytest.raises(S3Error) as info:
        b"".join(_dechunk([b"10\r\nshort"], None))
    assert info.value.code == "IncompleteBody"


def test_crc32_trailer_is_checked() -> None:
    from nimbus.services.object.s3.auth import _crc32_checked

    good = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
    trailers: dict[str, str] = {}
    assert b"".join(_crc32_checked(_dechunk([good], None, trailers), None, trailers)) == \
        b"hello"
    bad = good.replace(b"NhCmhg==", b"AAAAAA==")
    trailers = {}
    with pytest.raises(S3Error) as info:
        b"".join(_crc32_checked(_dechunk([bad], None, trailers), None, trailers))
    assert info.value.code == "BadDigest"
