"""Version discovery at /network and /network/v2.0, and the extension list."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.network.errors import ResourceNotFound
from nimbus.services.network.extensions import EXTENSIONS


def list_versions(req: ApiRequest) -> dict[str, Any]:
    return {"versions": [{"id": "v2.0", "status": "CURRENT",
                          "links": [{"href": f"{req.base_url}/v2.0/", "rel": "self"}]}]}


def show_v2(req: ApiRequest) -> dict[str, Any]:
    base = f"{req.base_url}/v2.0"
    return {"resources": [
        {"name": singular, "collection": plural,
         "links": [{"href": f"{base}/{plural}", "rel": "self"}]}
        for singular, plural in (("subnet", "subnets"), ("subnetpool", "subnetpools"),
                                 ("network", "networks"), ("port", "ports"))]}


def list_extensions(req: ApiRequest) -> dict[str, Any]:
    return {"extensions": [dict(e) for e in EXTENSIONS]}


def show_extension(req: ApiRequest) -> dict[str, Any]:
    alias = req.path_params["alias"]
    for ext in EXTENSIONS:
        if ext["alias"] == alias:
            return {"extension": dict(ext)}
    raise ResourceNotFound("Extension", alias, label="Extension with alias")
