"""GET /placement/: the version document, which needs no token."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.microversion import Version
from nimbus.kernel.web import ApiRequest
from nimbus.services.placement.api.common import reply
from nimbus.services.placement.errors import MAX_VERSION, MIN_VERSION


def home(_req: ApiRequest, v: Version) -> Any:
    doc = {"versions": [{"id": f"v{MIN_VERSION}", "max_version": MAX_VERSION,
                         "min_version": MIN_VERSION, "status": "CURRENT",
                         "links": [{"rel": "self", "href": ""}]}]}
    return reply(doc, v, modified=None)
