"""What every part of the network agent shares: where it works, and the shape of a part.

A *part* (L2, DHCP, security groups, L3, metadata) owns one slice of the host. The agent
hands each part the whole desired ``HostState`` in turn; a part makes its slice match and
says what it changed, and removes what it made for resources that are gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from nimbus.agents.network.messages import HostState


def _unreported(port_id: str, status: str) -> None:
    """No agent listening (a part used on its own, as in its tests)."""


@dataclass
class HostContext:
    """Where the agent works: its host netns (None: the one it runs in), a directory of its
    own for files (dnsmasq configs, pid files, the ledger of what it made), and options."""

    host: str
    state_dir: Path
    netns: str | None = None
    # The [network] settings the agent runs with (nimbus.config.NetworkSettings).
    options: object | None = None
    # The metadata API the proxy forwards to, and the secret it signs with.
    metadata_url: str = ""
    metadata_secret: str = ""
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("nimbus.agent"))
    # A part calls this when a port's device is plugged ("ACTIVE") or gone ("DOWN"); the
    # agent casts ``update_port_status`` for it (only when the status changed).
    report_port_status: Callable[[str, str], None] = _unreported


class Part(Protocol):
    name: str

    def reconcile(self, state: HostState) -> list[str]:
        """Make the host match ``state``; returns what changed, one line each (for the log)."""
        ...

    def teardown(self) -> list[str]:
        """Remove everything this part made on the host."""
        ...
