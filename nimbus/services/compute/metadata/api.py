"""The metadata API at /metadata: what Neutron's metadata proxies forward guests' requests
for 169.254.169.254 to (nova/api/metadata/handler.py in its service_metadata_proxy mode).

It is not in the catalog and takes no token: a request is trusted when its X-Instance-ID
carries the proxy's X-Instance-ID-Signature (hex HMAC-SHA256 with the shared secret the
network agent's proxies sign with), and it answers for that instance only. Faults are
webob's, as Nova's metadata handler raises them (HTML, JSON or text by the Accept header).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import html
import json
import posixpath

from starlette.datastructures import Headers

from nimbus.config import Settings
from nimbus.kernel.errors import BadRequest, CloudError, Conflict, Forbidden, NotFound
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import ApiRequest, Reply, Route, ServiceApi
from nimbus.services.compute.errors import nova_fault
from nimbus.services.compute.metadata.builder import (
    EC2_VERSIONS,
    InstanceMetadata,
    MetadataNotFound,
    PasswordEndpoint,
    render,
)
from nimbus.services.compute.metadata.model import InstanceData
from nimbus.services.compute.metadata.source import instance_source
from nimbus.services.compute.metadata.vendordata import static_vendor_data

PREFIX = "/metadata"
# Nova keeps a posted password in four 255-character chunks of system metadata.
PASSWORD_MAX = 4 * 255
TEXT, HTML, JSON = "text/plain", "text/html", "application/json"


class ResourceNotFound(NotFound):
    def default_message(self) -> str:
        return "The resource could not be found."


class PasswordAlreadySet(Conflict):
    def default_message(self) -> str:
        return "There was a conflict when trying to complete your request."


def shared_secret(settings: Settings) -> str:
    """The secret the network agent's metadata proxies sign with ([network]
    metadata_proxy_shared_secret, or the one made once in the data dir)."""
    from nimbus.kernel.keys import metadata_secret

    return metadata_secret(settings)


def sign(secret: str, instance_id: str) -> str:
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


class MetadataHandlers:
    def __init__(self, runtime: Runtime, secret: str) -> None:
        self.runtime = runtime
        self.secret = secret
        self.dhcp_domain = runtime.settings.compute.dhcp_domain
        self.vendor_data = static_vendor_data(runtime.settings)

    def versions(self, req: ApiRequest) -> Reply:
        """The metadata root: EC2's versions, answered without asking who calls."""
        return Reply(render([*EC2_VERSIONS, "latest"]), content_type=TEXT)

    def serve(self, req: ApiRequest) -> Reply:
        path = req.path_params.get("path", "")
        if _is_root(path):
            return self.versions(req)
        instance = self.identify(req.headers)
        if not instance.vendor_data and self.vendor_data:
            instance = dataclasses.replace(instance, vendor_data=self.vendor_data)
        md = InstanceMetadata(instance, address=req.headers.get("x-forwarded-for"),
                              dhcp_domain=self.dhcp_domain)
        try:
            found = md.lookup(path)
        except MetadataNotFound:
            raise ResourceNotFound() from None
        if isinstance(found, PasswordEndpoint):
            return self.password(req, md)
        return Reply(render(found.data), content_type=found.mimetype)

    def identify(self, headers: Headers) -> InstanceData:
        """The instance the proxy vouches for; webob's 400, 403 and 404 as Nova raises
        them."""
        ids = headers.getlist("x-instance-id")
        tenants = headers.getlist("x-tenant-id")
        signature = headers.get("x-instance-id-signature")
        if not ids:
            raise BadRequest("X-Instance-ID header is missing from request.")
        if signature is None:
            raise BadRequest("X-Instance-ID-Signature header is missing from request.")
        if not tenants:
            raise BadRequest("X-Tenant-ID header is missing from request.")
        if len(ids) > 1:
            raise BadRequest("Multiple X-Instance-ID headers found within request.")
        if len(tenants) > 1:
            raise BadRequest("Multiple X-Tenant-ID headers found within request.")
        expected = sign(self.secret, ids[0])
        if not signature or not hmac.compare_digest(expected, signature):
            raise Forbidden("Invalid proxy request signature.")
        source = instance_source(self.runtime)
        instance = source.lookup(ids[0]) if source is not None else None
        # Another project's instance is as unknown as a missing one.
        if instance is None or instance.project_id != tenants[0]:
            raise ResourceNotFound()
        return instance

    def password(self, req: ApiRequest, md: InstanceMetadata) -> Reply:
        """nova/api/metadata/password.py: GET reads it, POST sets it once."""
        if req.method in ("GET", "HEAD"):
            return Reply(md.password or "", content_type=HTML)
        if md.password:
            raise PasswordAlreadySet()
        if len(req.body) > PASSWORD_MAX:
            raise BadRequest("Request is too large.")
        try:
            text = req.body.decode()
        except UnicodeDecodeError:
            raise BadRequest("The password must be UTF-8 text.") from None
        source = instance_source(self.runtime)
        if source is None or source.save_password is None:
            raise CloudError("Setting a password is not supported here.", status=501)
        source.save_password(md.instance.uuid, text)
        return Reply("", content_type=HTML)


def _is_root(path: str) -> bool:
    return posixpath.normpath("/" + path.lstrip("/")) == "/"


def routes(handlers: MetadataHandlers) -> list[Route]:
    return [
        Route("GET", "/", handlers.versions),
        Route("POST", "/", handlers.versions),
        Route("GET", "/{path:path}", handlers.serve),
        Route("POST", "/{path:path}", handlers.serve),
    ]


def webob_fault(err: CloudError, request_headers: Headers) -> tuple[bytes, str]:
    """webob's rendering of an HTTP error: HTML for */* or text/html, JSON when preferred,
    plain text otherwise."""
    status = f"{err.status} {err.phrase}"
    chosen = _best_offer(request_headers.get("accept"))
    if chosen == HTML:
        page = (f"<html>\n <head>\n  <title>{status}</title>\n </head>\n <body>\n"
                f"  <h1>{status}</h1>\n  {html.escape(err.message)}<br /><br />\n\n\n"
                " </body>\n</html>")
        return page.encode(), HTML
    if chosen == JSON:
        return json.dumps({"message": err.message, "code": status,
                           "title": err.phrase}).encode(), JSON
    return f"{status}\n\n{err.message}\n\n".encode(), TEXT


def _best_offer(accept: str | None) -> str | None:
    """text/html or application/json, whichever the header ranks higher (HTML on a tie),
    or None when it accepts neither (or is missing)."""
    if not accept or not accept.strip():
        return None
    best, best_q = None, 0.0
    for offer in (HTML, JSON):
        quality = _quality(offer, accept)
        if quality > best_q:
            best, best_q = offer, quality
    return best


def _quality(offer: str, accept: str) -> float:
    found: tuple[int, float] | None = None
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        rank = 3 if media == offer else 2 if media == f"{offer.split('/')[0]}/*" else \
            1 if media == "*/*" else 0
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if rank and (found is None or rank > found[0]):
            found = (rank, quality)
    return found[1] if found else 0.0


def build_metadata_api(runtime: Runtime, secret: str | None = None) -> ServiceApi:
    """The /metadata API of ``runtime``; ``secret`` defaults to the proxies' one."""
    settings = runtime.settings
    handlers = MetadataHandlers(runtime, shared_secret(settings) if secret is None
                                else secret)
    api = ServiceApi("metadata", PREFIX, routes(handlers), enforcer=Enforcer({}),
                     fault_format=nova_fault, validator=runtime.token_validator,
                     public_url=settings.effective_public_url,
                     max_body=settings.max_request_body_size)
    api.negotiated_fault = webob_fault
    return api
