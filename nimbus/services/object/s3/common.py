"""What the S3 handlers share: the request in S3 terms (caller, bucket, key, query), XML in
and out, names, times and ETags."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.s3.auth import Caller
from nimbus.services.object.s3.errors import S3Error
from nimbus.services.object.service import ObjectService
from nimbus.services.object.store.diskfile import StoredObject
from nimbus.services.object.store.listings import ContainerInfo

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XML = "application/xml"
SYSMETA = "X-Container-Sysmeta-S3-"
OBJ_SYSMETA = "X-Object-Sysmeta-S3-"
SEGMENTS = "+segments"
MAX_XML = 1 << 20
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
LOOSE_BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,254}$")


@dataclass
class S3Request:
    req: ApiRequest
    caller: Caller
    bucket: str
    key: str
    query: dict[str, str] = field(default_factory=dict)

    @property
    def svc(self) -> ObjectService:
        return self.req.api.service  # type: ignore[attr-defined, no-any-return]

    @property
    def account(self) -> str:
        return self.caller.account

    @property
    def headers(self) -> Any:
        return self.req.headers


def check_bucket_name(name: str, strict: bool) -> None:
    pattern = BUCKET_RE if strict else LOOSE_BUCKET_RE
    if not pattern.match(name) or ".." in name or name.endswith(SEGMENTS) or \
            (strict and re.match(r"^\d+\.\d+\.\d+\.\d+$", name)):
        raise S3Error("InvalidBucketName", BucketName=name)


def bucket_info(s3: S3Request) -> ContainerInfo:
    info = s3.svc.container_info(s3.account, s3.bucket)
    if info is None:
        raise S3Error("NoSuchBucket", BucketName=s3.bucket)
    return info


def iso_time(timestamp: str | float) -> str:
    value = float(timestamp)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(value)) + \
        f".{int((value % 1) * 1000):03d}Z"


def listing_time(last_modified: str) -> str:
    """A listing row's last_modified (ISO, microseconds) as S3's (milliseconds, Z)."""
    return last_modified[:23].ljust(23, "0") if "." in last_modified[:23] else \
        last_modified[:19] + ".000"


def s3_etag(stored: StoredObject) -> str:
    return stored.meta.get(OBJ_SYSMETA + "Etag") or stored.etag


def owner_xml(s3: S3Request) -> str:
    pid = escape(s3.caller.project_id)
    return f"<Owner><ID>{pid}</ID><DisplayName>{pid}</DisplayName></Owner>"


def xml_reply(root: str, inner: str, status: int = 200,
              headers: dict[str, str] | None = None) -> Reply:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}">{inner}</{root}>')
    return Reply(body.encode("utf-8"), status, headers or {}, content_type=XML)


def elem(name: str, value: Any) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def read_body(s3: S3Request, body: Iterable[bytes]) -> bytes:
    data = bytearray()
    for chunk in body:
        data.extend(chunk)
        if len(data) > MAX_XML:
            raise S3Error("MalformedXML")
    return bytes(data)


def parse_xml(data: bytes, root: str) -> ET.Element:
    """The document's root (namespaces dropped); MalformedXML unless it is ``root``."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise S3Error("MalformedXML")
    try:
        doc = ET.fromstring(data)
    except ET.ParseError:
        raise S3Error("MalformedXML") from None
    for node in doc.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]
    if doc.tag != root:
        raise S3Error("MalformedXML")
    return doc


def text(node: ET.Element, name: str, default: str | None = None) -> str:
    found = node.find(name)
    if found is None or found.text is None:
        if default is None:
            raise S3Error("MalformedXML")
        return default
    return found.text.strip()


def user_meta(headers: Any) -> dict[str, str]:
    """x-amz-meta-* as Swift's X-Object-Meta-*."""
    out = {}
    for key, value in headers.items():
        low = key.lower()
        if low.startswith("x-amz-meta-"):
            out["X-Object-Meta-" + "-".join(p.capitalize() for p in low[11:].split("-"))] = \
                value
    return out


def amz_meta(meta: dict[str, str]) -> dict[str, str]:
    return {"x-amz-meta-" + k[14:].lower(): v for k, v in meta.items()
            if k.startswith("X-Object-Meta-")}
