"""Version discovery at the identity root and at /v3."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply

MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"


def _v3(req: ApiRequest) -> dict[str, Any]:
    return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{req.base_url}/v3/"}],
            "media-types": [{"base": "application/json", "type": MEDIA_TYPE}]}


def list_versions(req: ApiRequest) -> Reply:
    return Reply({"versions": {"values": [_v3(req)]}}, status=300,
                 headers={"Location": f"{req.base_url}/v3/"})


def show_v3(req: ApiRequest) -> dict[str, Any]:
    return {"version": _v3(req)}
