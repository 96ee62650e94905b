"""os-instance-actions: what was done to a server, newest first, with the events of each."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import BadRequest, NotFound
from nimbus.services.compute.models.servers import InstanceAction, InstanceActionEvent
from nimbus.services.compute.service.listing import parse_time


def _view(row: Any) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}


class InstanceActions:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db

    def list(self, ctx: RequestContext, server_id: str, query: Any) -> list[dict[str, Any]]:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id, deleted_ok=True)
            stmt = select(InstanceAction).where(InstanceAction.instance_id == row.id)
            if query.get("changes-since"):
                stmt = stmt.where(InstanceAction.updated_at >= parse_time(
                    query["changes-since"], "changes-since"))
            if query.get("changes-before"):
                stmt = stmt.where(InstanceAction.updated_at <= parse_time(
                    query["changes-before"], "changes-before"))
            actions = [_view(a) for a in s.scalars(stmt.order_by(
                InstanceAction.start_time.desc(), InstanceAction.id.desc()))]
        marker = query.get("marker")
        if marker:
            found = [i for i, a in enumerate(actions) if a["request_id"] == marker]
            if not found:
                raise BadRequest(f"Marker {marker} could not be found.")
            actions = actions[found[0] + 1:]
        if query.get("limit"):
            actions = actions[:int(query["limit"])]
        return actions

    def get(self, ctx: RequestContext, server_id: str, request_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id, deleted_ok=True)
            action = s.scalars(select(InstanceAction).where(
                InstanceAction.instance_id == row.id,
                InstanceAction.request_id == request_id)).first()
            if action is None:
                raise NotFound(f"Action {request_id} not found")
            events = []
            for event in s.scalars(select(InstanceActionEvent).where(
                    InstanceActionEvent.action_id == action.id)
                    .order_by(InstanceActionEvent.id)):
                view = _view(event)
                view["host_id"] = hashlib.sha224(
                    (row.project_id + (event.host or "")).encode()).hexdigest() \
                    if event.host else ""
                events.append(view)
            out = _view(action)
            out["events"] = events
            return out
