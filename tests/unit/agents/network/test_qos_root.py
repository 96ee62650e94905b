"""QoS with real transfers between guest namespaces of a lab bridge (small: 2 MB)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from netfixtures_sg import Lab, send_bytes

from nimbus.agents.network import nft, tc
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.messages import HostState, Network, Qos
from nimbus.agents.network.qos import TABLE, QosPart

pytestmark = pytest.mark.root

SIZE = 2_000_000
RATE_KBPS = 4000                    # 500 kB/s: SIZE takes 3 s or more past the burst


@pytest.fixture
def lab() -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces, tc and nftables")
    made = Lab.create()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def part(lab: Lab, tmp_path: Path) -> Iterator[QosPart]:
    made = QosPart(HostContext(host="h", state_dir=tmp_path, netns=lab.host,
                               log=logging.getLogger("test.qos")))
    try:
        yield made
    finally:
        made.teardown()


def state_of(lab: Lab) -> HostState:
    return HostState(host="h", networks=[Network(lab.network_id, "p",
                                                 ports=[g.port for g in lab.guests])])


def guests(lab: Lab) -> tuple:
    a = lab.add_guest("02:00:00:00:00:0a", "10.9.0.10", port_security_enabled=False)
    b = lab.add_guest("02:00:00:00:00:0b", "10.9.0.11", port_security_enabled=False)
    lab.serve_tcp(b)
    return a, b


def test_ingress_limit_caps_what_reaches_the_guest(lab, part):
    a, b = guests(lab)
    assert send_bytes(a, b.ip, SIZE) < 1.0
    b.port.qos = Qos(ingress_max_kbps=RATE_KBPS)
    changes = part.reconcile(state_of(lab))
    tap = "tap" + b.port.id[:11]
    assert changes == [f"{tap}: ingress bandwidth limit {RATE_KBPS} kbps (tbf)"]
    assert tc.tbf_of(tc.qdiscs(lab.host)[tap]) is not None
    assert part.reconcile(state_of(lab)) == []
    assert send_bytes(a, b.ip, SIZE) > 2.0

    b.port.qos = None
    assert part.reconcile(state_of(lab)) == [f"{tap}: removed the ingress bandwidth limit (tbf)"]
    assert send_bytes(a, b.ip, SIZE) < 1.0


def test_egress_limit_caps_what_the_guest_sends(lab, part):
    a, b = guests(lab)
    a.port.qos = Qos(max_kbps=RATE_KBPS)
    assert part.reconcile(state_of(lab))
    assert part.reconcile(state_of(lab)) == []
    assert send_bytes(a, b.ip, SIZE) > 2.0
    part.teardown()
    assert nft.list_table("bridge", TABLE, netns=lab.host) is None
    assert send_bytes(a, b.ip, SIZE) < 1.0


def test_dscp_mark_is_set_on_what_the_guest_sends(lab, part):
    a, b = guests(lab)
    a.port.qos = Qos(dscp_mark=26)
    part.reconcile(state_of(lab))
    b.run(["nft", "add table inet t; add chain inet t in { type filter hook input priority 0; }"
           "; add rule inet t in ip dscp 26 counter; add rule inet t in ip dscp != 26 counter"])
    send_bytes(a, b.ip, 10_000)
    listing = b.run(["nft", "list", "chain", "inet", "t", "in"]).stdout
    marked, unmarked = [int(line.split("packets ")[1].split()[0])
                        for line in listing.splitlines() if "packets" in line]
    assert marked > 0 and unmarked == 0
