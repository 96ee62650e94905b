"""The one place the network service talks to its agents (Nova's ``rpcapi.py``): the events
it publishes, and the endpoint it serves on ``network-plugin`` for the agents' questions
and reports."""

from __future__ import annotations

from typing import Any

from nimbus.agents.network import messages


def publish_changed(bus: Any, **what: list[str]) -> None:
    # Typed as Any: mypy can't tell the keys are only Changed's list fields.
    fields: dict[str, Any] = {k: list(v) for k, v in what.items()}
    event = messages.Changed(**fields)
    bus.publish(messages.CHANGED_EVENT, messages.to_wire(event), version=messages.VERSION)


class PluginEndpoint:
    """What the agents ask and tell the service on ``network-plugin`` (messages.py):
    served by every API process, so any of them may answer."""

    BUS_VERSION = messages.VERSION

    def __init__(self, service: Any) -> None:
        self.service = service          # the NetworkService facade

    def report_state(self, report: dict[str, Any]) -> str:
        """A heartbeat (``AgentReport``): the agent's row, made or refreshed."""
        return self.service.agents.report(report)  # type: ignore[no-any-return]

    def update_port_status(self, port_id: str, status: str, host: str = "") -> bool:
        """A port's device was plugged (ACTIVE) or is gone (DOWN); no-op for a gone port."""
        return self.service.agents.update_port_status(  # type: ignore[no-any-return]
            port_id, status, host)

    def get_host_state(self, host: str) -> dict[str, Any]:
        """Everything ``host`` must have, as ``HostState.to_wire()``."""
        return messages.to_wire(self.service.host_state(host))


def serve_plugin(bus: Any, service: Any) -> Any:
    """Give the service its bus and answer the agents on it; returns the consumer."""
    service.bus = bus
    return bus.serve(messages.PLUGIN_TOPIC, PluginEndpoint(service))
