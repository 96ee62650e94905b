"""Who signed an S3 request: AWS Signature V4 (the Authorization header or a presigned
query) and V2, checked against Keystone's EC2 credentials (identity's ``find_ec2``), the
signature computed here with the credential's secret as Swift's s3api does after s3token.
Also the request body as the signer sent it: plain (its x-amz-content-sha256 checked as it
streams), UNSIGNED-PAYLOAD, or aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, each chunk's
signature checked; STREAMING-UNSIGNED-PAYLOAD-TRAILER, the trailer read and dropped)."""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

from nimbus.kernel.web import ApiRequest
from nimbus.services.object.s3.errors import S3Error

EMPTY_SHA = hashlib.sha256(b"").hexdigest()
MAX_SKEW = 15 * 60
MAX_EXPIRES = 7 * 24 * 3600
V2_SUBRESOURCES = ("acl", "cors", "delete", "lifecycle", "location", "logging",
                   "notification", "partNumber", "policy", "requestPayment", "tagging",
                   "torrent", "uploadId", "uploads", "versionId", "versioning", "versions",
                   "website", "response-cache-control", "response-content-disposition",
                   "response-content-encoding", "response-content-language",
                   "response-content-type", "response-expires")
Finder = Callable[[str], "tuple[str, str | None, str] | None"]


@dataclass
class Caller:
    user_id: str
    project_id: str
    access: str
    # For aws-chunked bodies signed chunk by chunk (V4 only).
    signing_key: bytes = b""
    seed_signature: str = ""
    amz_date: str = ""
    scope: str = ""

    @property
    def account(self) -> str:
        return "AUTH_" + self.project_id


def raw_target(req: ApiRequest) -> tuple[str, str]:
    scope = req._request.scope  # noqa: SLF001 - the bytes as the client signed them
    path = scope.get("s3_raw_path") or scope.get("raw_path") or scope["path"].encode()
    return path.decode("latin-1"), scope.get("query_string", b"").decode("latin-1")


def query_pairs(raw: str) -> list[tuple[str, str]]:
    out = []
    for part in raw.split("&") if raw else []:
        key, _sep, value = part.partition("=")
        out.append((unquote(key), unquote(value)))
    return out


def _q(value: str) -> str:
    return quote(value, safe="-_.~")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(("AWS4" + secret).encode("utf-8"), date)
    return _hmac(_hmac(_hmac(key, region), service), "aws4_request")


def authenticate(req: ApiRequest, find: Finder) -> Caller:
    auth = req.headers.get("authorization", "")
    query = dict(query_pairs(raw_target(req)[1]))
    if auth.startswith("AWS4-HMAC-SHA256 "):
        return _v4(req, find, _parse_v4_header(auth[17:]), presigned=False)
    if "X-Amz-Signature" in query:
        if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            raise S3Error("AuthorizationQueryParametersError",
                          "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        fields = {"Credential": query.get("X-Amz-Credential", ""),
                  "SignedHeaders": query.get("X-Amz-SignedHeaders", ""),
                  "Signature": query["X-Amz-Signature"]}
        return _v4(req, find, fields, presigned=True)
    if auth.startswith("AWS "):
        access, _sep, signature = auth[4:].rpartition(":")
        return _v2(req, find, access.strip(), signature.strip(), None)
    if "Signature" in query and "AWSAccessKeyId" in query:
        return _v2(req, find, query["AWSAccessKeyId"], query["Signature"],
                   query.get("Expires", ""))
    if auth:
        raise S3Error("InvalidArgument", "Unsupported Authorization Type")
    raise S3Error("AccessDenied", "Anonymous access is not allowed")


def _parse_v4_header(value: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in value.split(","):
        key, _sep, val = part.strip().partition("=")
        fields[key] = val
    if not all(fields.get(k) for k in ("Credential", "SignedHeaders", "Signature")):
        raise S3Error("AuthorizationHeaderMalformed",
                      "The authorization header is malformed")
    return fields


def _lookup(find: Finder, access: str) -> tuple[str, str, str]:
    found = find(access) if access else None
    if found is None or not found[1]:
        raise S3Error("InvalidAccessKeyId")
    return found[0], found[1], found[2]


def _amz_time(value: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ")))
    except ValueError:
        raise S3Error("AccessDenied", "AWS authentication requires a valid Date or "
                      "x-amz-date header") from None


def _check_time(req: ApiRequest, query: dict[str, str], presigned: bool) -> str:
    amz_date = query.get("X-Amz-Date", "") if presigned else req.headers.get("x-amz-date", "")
    if not amz_date and not presigned and req.headers.get("date"):
        stamp = parsedate_to_datetime(req.headers["date"]).timestamp()
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(stamp))
    when = _amz_time(amz_date)
    now = time.time()
    if presigned:
        try:
            expires = int(query.get("X-Amz-Expires", ""))
        except ValueError:
            raise S3Error("AuthorizationQueryParametersError",
                          "X-Amz-Expires should be a number") from None
        if not 0 < expires <= MAX_EXPIRES:
            raise S3Error("AuthorizationQueryParametersError",
                          "X-Amz-Expires must be less than a week (in seconds)")
        if now > when + expires:
            raise S3Error("AccessDenied", "Request has expired")
        if when - now > MAX_SKEW:
            raise S3Error("RequestTimeTooSkewed")
    elif abs(now - when) > MAX_SKEW:
        raise S3Error("RequestTimeTooSkewed")
    return amz_date


def _v4(req: ApiRequest, find: Finder, fields: dict[str, str], presigned: bool) -> Caller:
    path, raw_query = raw_target(req)
    pairs = query_pairs(raw_query)
    query = dict(pairs)
    parts = fields["Credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise S3Error("AuthorizationHeaderMalformed", "The credential is malformed")
    access, date, region, service = parts[:4]
    user_id, project_id, secret = _lookup(find, access)
    amz_date = _check_time(req, query, presigned)
    if not amz_date.startswith(date):
        raise S3Error("SignatureDoesNotMatch", "The credential date does not match x-amz-date")
    signed = fields["SignedHeaders"].lower().split(";")
    payload = (query.get("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") if presigned
               else req.headers.get("x-amz-content-sha256", ""))
    if not payload:
        raise S3Error("InvalidRequest", "Missing required header for this request: "
                      "x-amz-content-sha256")
    canonical_query = "&".join(f"{_q(k)}={_q(v)}" for k, v in sorted(
        (k, v) for k, v in pairs if k != "X-Amz-Signature"))
    headers = "".join(f"{name}:{' '.join(req.headers.get(name, '').split())}\n"
                      for name in signed)
    canonical = "\n".join([req.method, path, canonical_query, headers,
                           ";".join(signed), payload])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = signing_key(secret, date, region, service)
    expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise S3Error("SignatureDoesNotMatch", None, StringToSign=to_sign,
                      CanonicalRequest=canonical, AWSAccessKeyId=access)
    return Caller(user_id, project_id, access, key, fields["Signature"], amz_date, scope)


def _v2(req: ApiRequest, find: Finder, access: str, signature: str,
        expires: str | None) -> Caller:
    user_id, project_id, secret = _lookup(find, access)
    path, raw_query = raw_target(req)
    pairs = query_pairs(raw_query)
    if expires is not None:
        try:
            if int(expires) < time.time():
                raise S3Error("AccessDenied", "Request has expired")
        except ValueError:
            raise S3Error("AccessDenied", "Invalid expires") from None
        date = expires
    else:
        date = "" if "x-amz-date" in req.headers else req.headers.get("date", "")
        stamp = req.headers.get("x-amz-date") or date
        try:
            when = parsedate_to_datetime(stamp).timestamp()
        except (TypeError, ValueError):
            raise S3Error("AccessDenied", "AWS authentication requires a valid Date or "
                          "x-amz-date header") from None
        if abs(time.time() - when) > MAX_SKEW:
            raise S3Error("RequestTimeTooSkewed")
    amz = sorted((k.lower(), " ".join(v.split())) for k, v in req.headers.items()
                 if k.lower().startswith("x-amz-"))
    subs = sorted((k, v) for k, v in pairs if k in V2_SUBRESOURCES)
    tail = "?" + "&".join(k + ("=" + v if v else "") for k, v in subs) if subs else ""
    head = "\n".join([req.method, req.headers.get("content-md5", ""),
                      req.headers.get("content-type", ""), date,
                      *[f"{k}:{v}" for k, v in amz], ""])
    for resource in _v2_resources(req, path):
        to_sign = head + resource + tail
        expected = base64.b64encode(hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"),
                                             hashlib.sha1).digest()).decode()
        if hmac.compare_digest(expected, signature):
            return Caller(user_id, project_id, access)
    raise S3Error("SignatureDoesNotMatch", None, StringToSign=head + path + tail,
                  AWSAccessKeyId=access)


def _v2_resources(req: ApiRequest, path: str) -> list[str]:
    """V2 signs /<bucket>/<key>: clients sign it with or without the mount's path (botocore
    drops the endpoint's path), a bare bucket with or without its slash."""
    prefix = req.api.prefix
    inner = path[len(prefix):] if path.startswith(prefix + "/") else path
    out = [path, inner]
    if inner.count("/") == 1 and inner != "/":
        out.append(inner + "/")
    return out


# -- the body -----------------------------------------------------------------------------
def body(req: ApiRequest, caller: Caller) -> Iterator[bytes]:
    """The payload's bytes, decoded and checked as they stream (errors as S3's)."""
    declared = req.headers.get("x-amz-content-sha256", "")
    trailers: dict[str, str] = {}
    if declared.startswith("STREAMING-"):
        verify = declared == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" and caller.signing_key
        stream: Iterator[bytes] = _dechunk(req.stream, caller if verify else None, trailers)
    elif len(declared) == 64:
        stream = _checked(req.stream, declared.lower())
    else:
        stream = iter(req.stream)
    crc = req.headers.get("x-amz-checksum-crc32")
    if crc is not None or req.headers.get("x-amz-trailer", "").lower() == \
            "x-amz-checksum-crc32":
        return _crc32_checked(stream, crc, trailers)
    return stream


def _crc32_checked(chunks: Iterator[bytes], header: str | None,
                   trailers: dict[str, str]) -> Iterator[bytes]:
    """x-amz-checksum-crc32 (a header, or the aws-chunked body's trailer) checked at the
    end of the body, before the object is committed; the other algorithms are not."""
    crc = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        yield chunk
    want = header if header is not None else trailers.get("x-amz-checksum-crc32")
    if want is not None and want.strip() != base64.b64encode(crc.to_bytes(4, "big")).decode():
        raise S3Error("BadDigest", "The CRC32 you specified did not match the calculated "
                      "checksum.")


def _checked(chunks: Iterable[bytes], want: str) -> Iterator[bytes]:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != want:
        raise S3Error("XAmzContentSHA256Mismatch")


class _Reader:
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.it = iter(chunks)
        self.buf = b""
        self.pos = 0

    def _more(self) -> bool:
        try:
            data = next(self.it)
        except StopIteration:
            return False
        self.buf = self.buf[self.pos:] + data
        self.pos = 0
        return True

    def line(self) -> bytes | None:
        while True:
            cut = self.buf.find(b"\r\n", self.pos)
            if cut >= 0:
                out = self.buf[self.pos:cut]
                self.pos = cut + 2
                return out
            if not self._more():
                return None

    def read(self, size: int) -> bytes:
        while len(self.buf) - self.pos < size:
            if not self._more():
                raise S3Error("IncompleteBody")
        out = self.buf[self.pos:self.pos + size]
        self.pos += size
        return out


def _dechunk(chunks: Iterable[bytes], caller: Caller | None,
             trailers: dict[str, str] | None = None) -> Iterator[bytes]:
    reader = _Reader(chunks)
    previous = caller.seed_signature if caller else ""
    while True:
        header = reader.line()
        if header is None:
            raise S3Error("IncompleteBody")
        size_text, _sep, ext = header.decode("latin-1").partition(";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise S3Error("InvalidRequest", "Malformed aws-chunked body") from None
        data = reader.read(size)
        if caller is not None:
            previous = _check_chunk(caller, previous, ext, data)
        if size == 0:
            break
        if reader.line() != b"":
            raise S3Error("InvalidRequest", "Malformed aws-chunked body")
        yield data
    while True:  # trailers (x-amz-checksum-*, x-amz-trailer-signature)
        line = reader.line()
        if line is None:
            break
        name, sep, value = line.decode("latin-1").partition(":")
        if sep and trailers is not None:
            trailers[name.strip().lower()] = value.strip()


def _check_chunk(caller: Caller, previous: str, ext: str, data: bytes) -> str:
    signature = ext.partition("chunk-signature=")[2].strip()
    to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", caller.amz_date, caller.scope,
                         previous, EMPTY_SHA, hashlib.sha256(data).hexdigest()])
    expected = hmac.new(caller.signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise S3Error("SignatureDoesNotMatch", "The chunk signature does not match")
    return signature
