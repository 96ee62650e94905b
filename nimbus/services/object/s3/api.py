"""The S3 API's mount: path-style at /s3 (``http://host:port/s3/<bucket>/<key>``) on the
same listener, and virtual-host style (``<bucket>.<[object] s3_domain>``, rewritten onto the
same routes by ``vhost_middleware``). Every request is signed (auth.py); the handler then
picks the operation by method, bucket/key and subresource, as S3 does."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from nimbus.kernel.errors import CloudError
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import ApiRequest, Reply, Route, ServiceApi
from nimbus.services.object.s3 import buckets, listing, multipart, objects
from nimbus.services.object.s3.auth import authenticate, body, query_pairs, raw_target
from nimbus.services.object.s3.common import S3Request, check_bucket_name
from nimbus.services.object.s3.errors import S3Error, s3_fault, s3_fault_response
from nimbus.services.object.service import object_of

PREFIX = "/s3"
Op = Callable[[S3Request], Reply]
BodyOp = Callable[[S3Request, Iterable[bytes]], Reply]
UNSUPPORTED = ("lifecycle", "website", "logging", "notification", "replication",
               "encryption", "requestPayment", "accelerate", "analytics", "inventory",
               "metrics", "ownershipControls", "publicAccessBlock", "object-lock",
               "intelligent-tiering", "torrent", "restore", "select", "legal-hold",
               "retention", "attributes", "versions", "versionId")


def _bucket_get(s3: S3Request) -> Reply:
    table: dict[str, Op] = {
        "location": buckets.get_location, "versioning": buckets.get_versioning,
        "cors": buckets.get_cors, "tagging": buckets.get_tagging, "acl": buckets.get_acl,
        "policy": buckets.get_policy, "uploads": multipart.list_uploads}
    for name, op in table.items():
        if name in s3.query:
            return op(s3)
    if s3.query.get("list-type") == "2":
        return listing.list_v2(s3)
    return listing.list_v1(s3)


def _bucket_put(s3: S3Request, data: Iterable[bytes]) -> Reply:
    table: dict[str, BodyOp] = {
        "versioning": buckets.put_versioning, "cors": buckets.put_cors,
        "tagging": buckets.put_tagging, "acl": buckets.put_acl, "policy": buckets.put_policy}
    for name, op in table.items():
        if name in s3.query:
            return op(s3, data)
    return buckets.create_bucket(s3, data)


def _bucket_delete(s3: S3Request) -> Reply:
    for name, stored in (("cors", "Cors"), ("tagging", "Tagging"), ("policy", "Policy")):
        if name in s3.query:
            return buckets.delete_doc(s3, stored)
    return buckets.delete_bucket(s3)


def _bucket(s3: S3Request, method: str, data: Iterable[bytes]) -> Reply:
    if method == "GET":
        return _bucket_get(s3)
    if method == "HEAD":
        return buckets.head_bucket(s3)
    if method == "PUT":
        return _bucket_put(s3, data)
    if method == "DELETE":
        return _bucket_delete(s3)
    if method == "POST" and "delete" in s3.query:
        return objects.delete_objects(s3, data)
    raise S3Error("MethodNotAllowed", Method=method, ResourceType="BUCKET")


def _object(s3: S3Request, method: str, data: Iterable[bytes]) -> Reply:
    q = s3.query
    if method in ("GET", "HEAD"):
        if method == "GET" and "uploadId" in q:
            return multipart.list_parts(s3)
        if method == "GET" and "tagging" in q:
            return objects.get_object_tagging(s3)
        if method == "GET" and "acl" in q:
            return objects.get_object_acl(s3)
        return objects.get_object(s3) if method == "GET" else objects.head_object(s3)
    if method == "PUT":
        if "uploadId" in q:
            return multipart.upload_part(s3, data)
        if "tagging" in q:
            return objects.put_object_tagging(s3, data)
        if "acl" in q:
            return objects.put_object_acl(s3, data)
        if "x-amz-copy-source" in s3.headers:
            return objects.copy_object(s3)
        return objects.put_object(s3, data)
    if method == "POST":
        if "uploads" in q:
            return multipart.create_upload(s3, data)
        if "uploadId" in q:
            return multipart.complete_upload(s3, data)
        raise S3Error("NotImplemented", "POST object (browser uploads) is not supported")
    if method == "DELETE":
        if "uploadId" in q:
            return multipart.abort_upload(s3)
        if "tagging" in q:
            return objects.delete_object_tagging(s3)
        return objects.delete_object(s3)
    raise S3Error("MethodNotAllowed", Method=method, ResourceType="OBJECT")


def _route(s3: S3Request, method: str, data: Iterable[bytes]) -> Reply:
    unsupported = [name for name in UNSUPPORTED if name in s3.query]
    if unsupported:
        raise S3Error("NotImplemented", f"The {unsupported[0]} subresource is not "
                      "implemented")
    if not s3.bucket:
        if method != "GET":
            raise S3Error("MethodNotAllowed", Method=method, ResourceType="SERVICE")
        return buckets.list_buckets(s3)
    check_bucket_name(s3.bucket, strict=False)
    if len(s3.key.encode("utf-8", "surrogatepass")) > 1024:
        raise S3Error("KeyTooLongError", "Your key is too long")
    if "\x00" in s3.key or any(0xD800 <= ord(c) <= 0xDFFF for c in s3.key):
        raise S3Error("InvalidArgument", "Object keys must be valid UTF-8 without NUL")
    return _bucket(s3, method, data) if not s3.key else _object(s3, method, data)


def handle(req: ApiRequest) -> Reply:
    request_id = (req.request_id or uuid.uuid4().hex).removeprefix("req-")
    path, raw_query = raw_target(req)
    try:
        caller = authenticate(req, req.api.find_ec2)  # type: ignore[attr-defined]
        s3 = S3Request(req, caller, req.path_params.get("bucket", ""),
                       req.path_params.get("key", ""), dict(query_pairs(raw_query)))
        reply = _route(s3, req.method, body(req, caller))
    except CloudError as err:
        if isinstance(err, S3Error):
            err.resource = path
        err.headers["x-amz-request-id"] = request_id
        if req.method in ("PUT", "POST") and not _drained(req):
            err.headers["Connection"] = "close"
        raise
    reply.headers["x-amz-request-id"] = request_id
    if req.method == "HEAD":
        reply.body = None
    return reply


def _drained(req: ApiRequest, limit: int = 8 << 20) -> bool:
    """Read what is left of a refused upload's body (up to ``limit``), so the connection
    stays usable; False: too much is left, close the connection instead."""
    read = 0
    try:
        for chunk in req.stream:
            read += len(chunk)
            if read > limit:
                return False
    except CloudError:
        return False
    return True


def _routes(path: str) -> list[Route]:
    return [Route(method, path, handle, stream=method in ("PUT", "POST"))
            for method in ("GET", "HEAD", "PUT", "POST", "DELETE")]


ROUTES = [*_routes("/"), *_routes("/{bucket}"), *_routes("/{bucket}/"),
          *_routes("/{bucket}/{key:path}")]


def _find_operator(identity: Any, service: Any, access: str) -> Any:
    """find_ec2's (user, project, secret) when the key's user is enabled, its project too,
    and the user holds one of the object store's operator roles there (what Keystone's
    ec2tokens check and keystoneauth's owner rule ask); None for an unknown key, and
    AccessDenied for the rest."""
    found = identity.credentials.find_ec2(access)
    if found is None or not found[1]:
        return None
    user_id, project_id, _secret = found
    with identity.db.session() as s:
        try:
            identity.users.active_user(s, user_id)
            project = identity.resources.project(s, project_id)
        except CloudError:
            raise S3Error("AccessDenied") from None
        if not getattr(project, "enabled", True):
            raise S3Error("AccessDenied")
        roles = {r.name.lower() for r in identity.assignments.roles_for_scope(
            s, user_id, "project", project_id)}
    if not roles & (service.roles.operator | service.roles.reseller):
        raise S3Error("AccessDenied")
    return found


class CachedFinder:
    """find_ec2's answers kept ``ttl`` seconds (s3token's cache): a credential lookup opens
    the encrypted blob, which would cost more than a small GET. A deleted credential stops
    working within ``ttl``."""

    def __init__(self, find: Callable[[str], Any], ttl: float = 10.0, size: int = 1024
                 ) -> None:
        self.find, self.ttl, self.size = find, ttl, size
        self.known: dict[str, tuple[float, Any]] = {}

    def __call__(self, access: str) -> Any:
        now = time.monotonic()
        hit = self.known.get(access)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = self.find(access)
        if found is not None:
            if len(self.known) >= self.size:
                self.known.clear()
            self.known[access] = (now + self.ttl, found)
        return found


def build_s3_api(runtime: Runtime) -> ServiceApi:
    from nimbus.services.identity.service import identity_of

    settings = runtime.settings
    api = ServiceApi("s3", PREFIX, ROUTES, enforcer=Enforcer({}, None), fault_format=s3_fault,
                     validator=runtime.token_validator,
                     public_url=settings.effective_public_url,
                     max_body=settings.max_request_body_size)
    api.service = object_of(runtime)  # type: ignore[attr-defined]
    api.find_ec2 = CachedFinder(  # type: ignore[attr-defined]
        functools.partial(_find_operator, identity_of(runtime), object_of(runtime)))
    api.region = settings.region  # type: ignore[attr-defined]
    api.negotiated_fault = s3_fault_response
    return api


class VirtualHostMiddleware:
    """``<bucket>.<domain>/<key>`` answered as ``/s3/<bucket>/<key>`` (the signature is
    checked over the path the client sent)."""

    def __init__(self, app: Any, domain: str) -> None:
        self.app = app
        self.suffix = "." + domain.lower().strip(".")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            name = host.lower().partition(":")[0]
            if name.endswith(self.suffix) and len(name) > len(self.suffix):
                bucket = name[: -len(self.suffix)]
                raw = scope.get("raw_path") or scope["path"].encode()
                scope = {**scope, "s3_raw_path": raw,
                         "path": f"{PREFIX}/{bucket}{scope['path']}",
                         "raw_path": f"{PREFIX}/{bucket}".encode() + raw}
        await self.app(scope, receive, send)
