"""os-server-external-events: what Networking (and Volume) tell compute about a server's
ports and disks; network-vif-plugged ends a boot's wait. Networking's port status hook
delivers the same event in process when a compute port goes ACTIVE."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from nimbus.services.compute.models.servers import Instance

log = logging.getLogger("nimbus.compute.events")


class ServerEvents:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db

    def accept(self, events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """Each event with its code (200, or 404 for an unknown server; 422 for one not on
        a host yet), and the answer's status: 200, 207 for a mix, 404 when none applied."""
        ids = {e["server_uuid"] for e in events}
        with self.db.session() as s:
            hosts = {i: h for i, h in s.execute(select(Instance.id, Instance.host).where(
                Instance.id.in_(ids), Instance.deleted == 0))}
        results = []
        for event in events:
            out = {"server_uuid": event["server_uuid"], "name": event["name"],
                   "status": event.get("status", "completed")}
            if "tag" in event:
                out["tag"] = event["tag"]
            if event["server_uuid"] not in hosts:
                out.update(code=404, status="failed")
            elif not hosts[event["server_uuid"]]:
                out.update(code=422, status="failed")
            else:
                out["code"] = 200
                self._deliver(event)
            results.append(out)
        codes = {r["code"] for r in results}
        status = 200 if codes == {200} else 404 if 200 not in codes else 207
        return results, status

    def _deliver(self, event: dict[str, Any]) -> None:
        if event["name"] == "network-vif-plugged" and event.get("tag") and \
                event.get("status", "completed") == "completed":
            self.compute.builder.vif_plugged(event["server_uuid"], event["tag"])

    def port_status(self, device_id: str, device_owner: str, port_id: str, status: str
                    ) -> None:
        """Networking's hook: a compute port that went ACTIVE is network-vif-plugged."""
        if status == "ACTIVE" and device_owner.startswith("compute:") and device_id:
            self.compute.builder.vif_plugged(device_id, port_id)
