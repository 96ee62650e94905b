"""Bucket operations: a bucket is a Swift container of the caller's project (its account
AUTH_<project>); S3's bucket settings ride in the container's system metadata
(X-Container-Sysmeta-S3-*), never shown through Swift. Versioning status, CORS, tagging and
policy documents are stored and returned; the policy is not enforced (only the owner's
credentials reach a bucket), nor are CORS rules applied to preflights."""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote

from nimbus.kernel.web import Reply
from nimbus.services.object.s3.common import (
    SEGMENTS,
    SYSMETA,
    S3Request,
    bucket_info,
    check_bucket_name,
    elem,
    iso_time,
    owner_xml,
    parse_xml,
    read_body,
    text,
    xml_reply,
)
from nimbus.services.object.s3.errors import S3Error

PUBLIC_READ = ".r:*,.rlistings"


def list_buckets(s3: S3Request) -> Reply:
    rows = s3.svc.list_containers(s3.account, limit=10000)
    items = "".join(
        f"<Bucket>{elem('Name', r['name'])}"
        f"{elem('CreationDate', iso_time(r.get('put_timestamp') or 0))}</Bucket>"
        for r in rows if "name" in r and not r["name"].endswith(SEGMENTS))
    return xml_reply("ListAllMyBucketsResult", f"{owner_xml(s3)}<Buckets>{items}</Buckets>")


def create_bucket(s3: S3Request, body: Iterable[bytes]) -> Reply:
    check_bucket_name(s3.bucket, strict=True)
    data = read_body(s3, body)
    location = ""
    if data.strip():
        doc = parse_xml(data, "CreateBucketConfiguration")
        location = text(doc, "LocationConstraint", "")
    if s3.svc.container_info(s3.account, s3.bucket) is not None:
        raise S3Error("BucketAlreadyOwnedByYou", BucketName=s3.bucket)
    meta = {SYSMETA + "Location": location} if location else {}
    acl = _canned(s3)
    if acl is not None:
        meta["X-Container-Read"] = acl
    s3.svc.create_container(s3.account, s3.bucket, meta)
    return Reply(None, 200, {"Location": "/" + quote(s3.bucket), "Content-Length": "0"})


def head_bucket(s3: S3Request) -> Reply:
    bucket_info(s3)
    return Reply(None, 200, {"x-amz-bucket-region": s3.req.api.region,  # type: ignore
                             "Content-Length": "0"})


def delete_bucket(s3: S3Request) -> Reply:
    bucket_info(s3)
    segments = s3.bucket + SEGMENTS
    if s3.svc.list_objects(s3.account, segments, limit=1):
        raise S3Error("BucketNotEmpty", "The bucket has multipart uploads in progress",
                      BucketName=s3.bucket)
    result = s3.svc.delete_container(s3.account, s3.bucket)
    if result == "not empty":
        raise S3Error("BucketNotEmpty", BucketName=s3.bucket)
    if result == "missing":
        raise S3Error("NoSuchBucket", BucketName=s3.bucket)
    s3.svc.delete_container(s3.account, segments)
    return Reply(None, 204)


def get_location(s3: S3Request) -> Reply:
    info = bucket_info(s3)
    location = info.metadata.get(SYSMETA + "Location", "")
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint '
            f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{location}</LocationConstraint>')
    return Reply(body.encode(), 200, {}, content_type="application/xml")


# -- versioning ---------------------------------------------------------------------------
def get_versioning(s3: S3Request) -> Reply:
    status = bucket_info(s3).metadata.get(SYSMETA + "Versioning", "")
    return xml_reply("VersioningConfiguration", elem("Status", status) if status else "")


def put_versioning(s3: S3Request, body: Iterable[bytes]) -> Reply:
    bucket_info(s3)
    doc = parse_xml(read_body(s3, body), "VersioningConfiguration")
    status = text(doc, "Status", "")
    if status not in ("Enabled", "Suspended"):
        raise S3Error("MalformedXML")
    s3.svc.update_container_metadata(s3.account, s3.bucket, {SYSMETA + "Versioning": status})
    return Reply(None, 200, {"Content-Length": "0"})


# -- stored documents: CORS, tagging, policy ----------------------------------------------
def _stored(s3: S3Request, name: str, missing: str) -> str:
    value = bucket_info(s3).metadata.get(SYSMETA + name, "")
    if not value:
        raise S3Error(missing, BucketName=s3.bucket)
    return value


def _store(s3: S3Request, name: str, value: str) -> Reply:
    s3.svc.update_container_metadata(s3.account, s3.bucket, {SYSMETA + name: value})
    return Reply(None, 204 if not value else 200, {"Content-Length": "0"})


def get_cors(s3: S3Request) -> Reply:
    return Reply(_stored(s3, "Cors", "NoSuchCORSConfiguration").encode(), 200, {},
                 content_type="application/xml")


def put_cors(s3: S3Request, body: Iterable[bytes]) -> Reply:
    bucket_info(s3)
    data = read_body(s3, body)
    doc = parse_xml(data, "CORSConfiguration")
    rules = doc.findall("CORSRule")
    if not rules or any(r.find("AllowedMethod") is None or r.find("AllowedOrigin") is None
                        for r in rules):
        raise S3Error("MalformedXML")
    return _store(s3, "Cors", data.decode("utf-8"))


def delete_doc(s3: S3Request, name: str) -> Reply:
    bucket_info(s3)
    return _store(s3, name, "")


def parse_tagging(data: bytes) -> list[tuple[str, str]]:
    doc = parse_xml(data, "Tagging")
    tagset = doc.find("TagSet")
    if tagset is None:
        raise S3Error("MalformedXML")
    tags = [(text(t, "Key"), text(t, "Value", "")) for t in tagset.findall("Tag")]
    if len(tags) > 50 or len({k for k, _v in tags}) != len(tags):
        raise S3Error("InvalidTag", "Tags must be unique and at most 50")
    return tags


def tagging_xml(tags: list[tuple[str, str]]) -> Reply:
    inner = "".join(f"<Tag>{elem('Key', k)}{elem('Value', v)}</Tag>" for k, v in tags)
    return xml_reply("Tagging", f"<TagSet>{inner}</TagSet>")


def get_tagging(s3: S3Request) -> Reply:
    return tagging_xml([tuple(t) for t in json.loads(  # type: ignore[misc]
        _stored(s3, "Tagging", "NoSuchTagSet"))])


def put_tagging(s3: S3Request, body: Iterable[bytes]) -> Reply:
    bucket_info(s3)
    tags = parse_tagging(read_body(s3, body))
    _store(s3, "Tagging", json.dumps(tags))
    return Reply(None, 204)


def get_policy(s3: S3Request) -> Reply:
    return Reply(_stored(s3, "Policy", "NoSuchBucketPolicy").encode(), 200, {},
                 content_type="application/json")


def put_policy(s3: S3Request, body: Iterable[bytes]) -> Reply:
    bucket_info(s3)
    data = read_body(s3, body)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise S3Error("MalformedPolicy", "Policies must be valid JSON") from None
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise S3Error("MalformedPolicy", "Missing required field Statement")
    _store(s3, "Policy", data.decode("utf-8"))
    return Reply(None, 204)


# -- ACLs: the owner's FULL_CONTROL, and public-read as Swift's .r:* ----------------------
def _canned(s3: S3Request) -> str | None:
    acl = s3.headers.get("x-amz-acl")
    if acl is None:
        return None
    if acl == "private":
        return ""
    if acl == "public-read":
        return PUBLIC_READ
    raise S3Error("NotImplemented", f"The canned ACL {acl} is not supported")


def acl_xml(s3: S3Request, public: bool) -> Reply:
    pid = s3.caller.project_id
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    grants = (f'<Grant><Grantee {xsi} xsi:type="CanonicalUser"><ID>{pid}</ID>'
              f"<DisplayName>{pid}</DisplayName></Grantee>"
              "<Permission>FULL_CONTROL</Permission></Grant>")
    if public:
        grants += (f'<Grant><Grantee {xsi} xsi:type="Group">'
                   "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>"
                   "<Permission>READ</Permission></Grant>")
    return xml_reply("AccessControlPolicy",
                     f"{owner_xml(s3)}<AccessControlList>{grants}</AccessControlList>")


def get_acl(s3: S3Request) -> Reply:
    info = bucket_info(s3)
    return acl_xml(s3, ".r:*" in info.metadata.get("X-Container-Read", ""))


def put_acl(s3: S3Request, body: Iterable[bytes]) -> Reply:
    bucket_info(s3)
    acl = _canned(s3)
    if acl is None:
        read_body(s3, body)
        raise S3Error("NotImplemented", "Only canned ACLs (x-amz-acl) are supported")
    s3.svc.update_container_metadata(s3.account, s3.bucket, {"X-Container-Read": acl})
    return Reply(None, 200, {"Content-Length": "0"})
