"""A stand-in for the network service's plugin endpoint (``network-plugin``): it answers
``get_host_state`` with a state the test sets and keeps what the agent reports."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from nimbus.agents.network.messages import (
    VERSION,
    FixedIp,
    HostState,
    Network,
    Port,
    Router,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    to_wire,
)


class FakePlugin:
    BUS_VERSION = VERSION

    def __init__(self, state: HostState) -> None:
        self.state = state
        self.version = state.version
        self.calls = 0
        self.reports: list[dict[str, Any]] = []
        self.statuses: list[tuple[str, str, str]] = []
        self.changed = threading.Condition()

    def get_host_state(self, host: str) -> dict[str, Any]:
        with self.changed:
            self.calls += 1
            wire = to_wire(self.state)
            self.changed.notify_all()
        wire["version"] = self.version
        return wire

    def report_state(self, report: dict[str, Any]) -> None:
        with self.changed:
            self.reports.append(report)
            self.changed.notify_all()

    def update_port_status(self, port_id: str, status: str, host: str) -> None:
        with self.changed:
            self.statuses.append((port_id, status, host))
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], seconds: float = 10) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, seconds)


def make_network(index: int, host: str, ports: int = 2) -> Network:
    net_id = f"{index:08d}-0000-4000-8000-000000000000"
    subnet = Subnet(id=f"sub-{index}", network_id=net_id, cidr=f"10.{index}.0.0/24",
                    ip_version=4, gateway_ip=f"10.{index}.0.1")
    return Network(
        id=net_id, project_id="p1", segmentation_id=100 + index, subnets=[subnet], dhcp=True,
        ports=[Port(id=f"port-{index}-{n}", network_id=net_id, project_id="p1",
                    mac_address=f"fa:16:3e:00:{index:02x}:{n:02x}", host=host,
                    fixed_ips=[FixedIp(subnet.id, f"10.{index}.0.{10 + n}")],
                    security_group_ids=["sg-1"])
               for n in range(ports)])


def make_state(host: str, networks: int = 2) -> HostState:
    return HostState(
        host=host, networks=[make_network(i, host) for i in range(1, networks + 1)],
        routers=[Router(id="r-1", project_id="p1")],
        security_groups=[SecurityGroup(id="sg-1", rules=[
            SecurityGroupRule(id="rule-1", direction="ingress", protocol="tcp",
                              port_range_min=22, port_range_max=22)])])
