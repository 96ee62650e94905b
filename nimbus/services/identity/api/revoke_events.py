"""GET /v3/OS-REVOKE/events: the revocation events since a moment."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.identity.api.common import identity
from nimbus.services.identity.errors import SchemaError
from nimbus.services.identity.service.common import parse_time
from nimbus.services.identity.service.revoke_events import event_view


def list_events(req: ApiRequest) -> dict[str, Any]:
    since = req.query.get("since")
    moment = None
    if since:
        try:
            moment = parse_time(since)
        except ValueError:
            # Keystone's words, typo included.
            raise SchemaError(f"invalidate date format {since}") from None
    events = identity(req).revoke_events.list_events(moment)
    return {"events": [event_view(e) for e in events],
            "links": {"self": f"{req.base_url}/v3/OS-REVOKE/events", "previous": None,
                      "next": None}}


ROUTES = [
    Route("GET", "/v3/OS-REVOKE/events", list_events, "identity:list_revoke_events"),
]
