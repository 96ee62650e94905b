"""GET /info: the capabilities of what is really implemented (Swift's proxy /info)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.api.common import trans_id
from nimbus.services.object.constraints import CAPABILITIES

VERSION = "2.38.0"


def capabilities() -> dict[str, Any]:
    return {"swift": {**CAPABILITIES, "version": VERSION}}


def show_info(req: ApiRequest) -> Reply:
    return Reply(capabilities(), 200, {"X-Trans-Id": trans_id(req.request_id)},
                 content_type="application/json; charset=UTF-8")
