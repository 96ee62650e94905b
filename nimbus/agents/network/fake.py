"""The fake network driver: one part that touches nothing on the host. It records the
desired state it is handed, in memory and in ``<state dir>/fake-network.json``, and reports
every port bound to its host as plugged (ACTIVE), so API tests see ports go ACTIVE and
agents alive without root.

``NIMBUS_FAKE_NETWORK_STEP_DELAY`` (seconds) makes each recorded change take that long and
saves the record after each one: the restart tests kill an agent halfway through a pass.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from nimbus.agents.network.base import HostContext
from nimbus.agents.network.messages import HostState, to_wire

RECORD_FILE = "fake-network.json"
KINDS = ("networks", "routers", "security_groups", "address_groups")


def desired_record(state: HostState) -> dict[str, dict[str, Any]]:
    """What the fake keeps of a host state: each resource's wire form by kind and id."""
    wire = to_wire(state)
    return {kind: {item["id"]: item for item in wire[kind]} for kind in KINDS}


def read_record(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        record = {}
    for kind in KINDS:
        record.setdefault(kind, {})
    record.setdefault("plugged", [])
    return record


class FakePart:
    name = "fake"

    def __init__(self, context: HostContext, step_delay: float | None = None) -> None:
        self.context = context
        self.path = context.state_dir / RECORD_FILE
        self.record = read_record(self.path)
        if step_delay is None:
            step_delay = float(os.environ.get("NIMBUS_FAKE_NETWORK_STEP_DELAY") or 0)
        self.step_delay = step_delay

    def reconcile(self, state: HostState) -> list[str]:
        changes: list[str] = []
        desired = desired_record(state)
        for kind in KINDS:
            changes += self._converge(kind, desired[kind])
        changes += self._report_ports(state)
        self._save()
        return changes

    def _converge(self, kind: str, wanted: dict[str, Any]) -> list[str]:
        have: dict[str, Any] = self.record[kind]
        changes = []
        for item_id, item in wanted.items():
            if have.get(item_id) != item:
                changes.append(f"{kind[:-1]} {item_id} {'updated' if item_id in have else 'made'}")
                have[item_id] = item
                self._step()
        for item_id in sorted(set(have) - set(wanted)):
            del have[item_id]
            changes.append(f"{kind[:-1]} {item_id} removed")
            self._step()
        return changes

    def _report_ports(self, state: HostState) -> list[str]:
        ours = sorted(p.id for n in state.networks for p in n.ports
                      if p.host == self.context.host)
        gone = sorted(set(self.record["plugged"]) - set(ours))
        # Every pass says it again; the agent casts only what changed since it started.
        for port_id in ours:
            self.context.report_port_status(port_id, "ACTIVE")
        for port_id in gone:
            self.context.report_port_status(port_id, "DOWN")
        new = sorted(set(ours) - set(self.record["plugged"]))
        self.record["plugged"] = ours
        return [f"port {p} plugged" for p in new] + [f"port {p} unplugged" for p in gone]

    def _step(self) -> None:
        if self.step_delay:
            self._save()
            time.sleep(self.step_delay)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        partial.write_text(json.dumps(self.record, sort_keys=True))
        os.replace(partial, self.path)  # a reader (or a kill -9) never meets half a file

    def teardown(self) -> list[str]:
        removed = [f"{kind[:-1]} {i} removed" for kind in KINDS for i in self.record[kind]]
        self.record = read_record(Path("/nonexistent"))
        self.path.unlink(missing_ok=True)
        return removed
