"""The one place the network service talks to its agents (Nova's ``rpcapi.py``): the events
it publishes, and the endpoint it serves on ``network-plugin`` for the agents' questions
and reports."""

from __future__ import annotations

from typing import Any

from nimbus.agents.network import messages


def publish_changed(bus: Any, **what: list[str]) -> None:
    event = messages.Changed(**{k: list(v) for k, v in what.items()})
    bus.publish(messages.CHANGED_EVENT, messages.to_wire(event), version=messages.VERSION)
