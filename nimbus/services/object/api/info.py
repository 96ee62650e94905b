"""GET /info: the capabilities of what is really implemented (Swift's proxy /info)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.api.common import trans_id
from nimbus.services.object.constraints import CAPABILITIES

VERSION = "2.38.0"


# One entry per middleware of the pipeline (middleware/__init__.py), as Swift registers them.
MIDDLEWARE: dict[str, dict[str, Any]] = {
    "bulk_delete": {"max_deletes_per_request": 10000, "max_failed_deletes": 1000},
    "bulk_upload": {"max_containers_per_extraction": 10000, "max_failed_extractions": 1000},
    "slo": {"max_manifest_segments": 1000, "max_manifest_size": 8388608,
            "min_segment_size": 1, "yield_frequency": 10},
    "dlo": {"max_segments": 10000},
    "versioned_writes": {"allowed_flags": ["x-versions-location", "x-history-location"]},
    "tempurl": {"methods": ["GET", "HEAD", "PUT", "POST", "DELETE"],
                "incoming_remove_headers": [], "incoming_allow_headers": [],
                "outgoing_remove_headers": [], "outgoing_allow_headers": [],
                "allowed_digests": ["sha1", "sha256", "sha512"]},
    "crossdomain": {"cross_domain_policy": '<allow-access-from domain="*" secure="false" />'},
    "staticweb": {},
    "symlink": {"symloop_max": 2, "static_links": True},
    "formpost": {"allowed_digests": ["sha1", "sha256", "sha512"]},
    "container_quotas": {},
    "account_quotas": {},
}


def capabilities() -> dict[str, Any]:
    return {"swift": {**CAPABILITIES, "version": VERSION}, **MIDDLEWARE}


CROSSDOMAIN = ('<?xml version="1.0"?>\n<!DOCTYPE cross-domain-policy SYSTEM '
               '"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
               '<cross-domain-policy>\n<allow-access-from domain="*" secure="false" />\n'
               '</cross-domain-policy>')


def crossdomain(req: ApiRequest) -> Reply:
    """Swift's crossdomain middleware: the Flash/Silverlight cross-domain policy."""
    return Reply(CROSSDOMAIN.encode(), 200, {"X-Trans-Id": trans_id(req.request_id)},
                 content_type="application/xml; charset=utf-8")


def healthcheck(req: ApiRequest) -> Reply:
    """Swift's healthcheck middleware."""
    return Reply(b"OK", 200, {"X-Trans-Id": trans_id(req.request_id)},
                 content_type="text/plain; charset=utf-8")


def show_info(req: ApiRequest) -> Reply:
    return Reply(capabilities(), 200, {"X-Trans-Id": trans_id(req.request_id)},
                 content_type="application/json; charset=UTF-8")
