"""Version discovery at /compute/ and /compute/v2.1, as Nova answers it (no token needed)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.compute.versions import COMPUTE

_MEDIA = [{"base": "application/json",
           "type": "application/vnd.openstack.compute+json;version=2.1"}]


def _v21(base: str) -> dict[str, Any]:
    return {"id": "v2.1", "status": "CURRENT", **COMPUTE.version_document(),
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": f"{base}/v2.1/"}]}


def _v20(base: str) -> dict[str, Any]:
    return {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
            "updated": "2011-01-21T11:33:21Z",
            "links": [{"rel": "self", "href": f"{base}/v2/"}]}


def list_versions(req: ApiRequest) -> dict[str, Any]:
    return {"versions": [_v20(req.base_url), _v21(req.base_url)]}


def show_v21(req: ApiRequest) -> dict[str, Any]:
    version = _v21(req.base_url)
    version["links"] = [
        {"rel": "self", "href": f"{req.base_url}/v2.1/"},
        {"rel": "describedby", "type": "text/html",
         "href": "http://docs.openstack.org/"}]
    version["media-types"] = _MEDIA
    return {"version": version}
