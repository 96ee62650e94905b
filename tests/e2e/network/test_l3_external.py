"""The host's side of the public network, the opt-in masquerade, and
``nimbus manage network-teardown``: nothing else of the host is touched."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.agents.network import l3_links as links
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.external import MASQUERADE_TABLE, ExternalPart
from nimbus.agents.network.l3 import L3Part, bridge_name
from nimbus.agents.network.messages import HostState, Network, Router, RouterPort, Subnet
from nimbus.config import NetworkSettings

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces)")]

OTHER_TABLE = ("table inet bystander {\n  chain c {\n"
               "    type filter hook input priority 0;\n  }\n}\n")


@pytest.fixture
def host_ns() -> Iterator[str]:
    """A host netns with things of its own: an uplink with an address and a route, and an
    nftables table that is not Nimbus'."""
    name = f"nimbus-t-{uuid.uuid4().hex[:8]}"
    links.ensure_netns(name)
    try:
        links.run(["ip", "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink1"],
                  name)
        links.run(["ip", "link", "set", "uplink0", "up"], name)
        links.run(["ip", "addr", "add", "192.0.2.2/24", "dev", "uplink0"], name)
        links.run(["ip", "route", "add", "default", "via", "192.0.2.1"], name)
        links.run(["nft", "-f", "-"], name, stdin=OTHER_TABLE)
        yield name
    finally:
        links.delete_netns(name)


def snapshot(ns: str) -> tuple[str, str, str]:
    return (links.run(["ip", "-br", "addr", "show", "dev", "uplink0"], ns).stdout,
            links.run(["ip", "route", "show", "default"], ns).stdout,
            links.run(["nft", "list", "table", "inet", "bystander"], ns).stdout)


def public_state() -> tuple[HostState, str]:
    net = str(uuid.uuid4())
    ext = Network(id=net, project_id="admin", network_type="flat", external=True, mtu=1500,
                  subnets=[Subnet("s", net, "172.24.4.0/24", 4, gateway_ip="172.24.4.1")])
    return HostState(host="t", networks=[ext]), net


def context(tmp_path: Path, ns: str, **options: object) -> HostContext:
    return HostContext(host="t", state_dir=tmp_path / "state", netns=ns,
                       options=NetworkSettings(**options))  # type: ignore[arg-type]


def test_host_holds_the_public_gateway_and_masquerade_is_opt_in(tmp_path: Path,
                                                                host_ns: str) -> None:
    before = snapshot(host_ns)
    state, net = public_state()
    part = ExternalPart(context(tmp_path, host_ns))
    assert part.reconcile(state)
    bridge = bridge_name(net)
    assert links.addresses(host_ns, bridge) == {"172.24.4.1/24"}
    assert "br-ex" in links.run(["ip", "link", "show", "br-ex"], host_ns).stdout
    tables = links.run(["nft", "list", "tables"], host_ns).stdout
    assert MASQUERADE_TABLE not in tables
    assert links.run(["sysctl", "-n", "net.ipv4.ip_forward"], host_ns).stdout.strip() == "0"
    assert part.reconcile(state) == []
    assert snapshot(host_ns) == before

    masq = ExternalPart(context(tmp_path, host_ns, masquerade_interface="uplink0"))
    assert masq.reconcile(state)
    table = links.run(["nft", "list", "table", "ip", MASQUERADE_TABLE], host_ns).stdout
    assert 'oifname "uplink0" ip saddr 172.24.4.0/24 masquerade' in table
    assert links.run(["sysctl", "-n", "net.ipv4.ip_forward"], host_ns).stdout.strip() == "1"
    assert masq.reconcile(state) == []

    # Unset again: the table goes and forwarding is as it was.
    assert ExternalPart(context(tmp_path, host_ns)).reconcile(state)
    assert MASQUERADE_TABLE not in links.run(["nft", "list", "tables"], host_ns).stdout
    assert links.run(["sysctl", "-n", "net.ipv4.ip_forward"], host_ns).stdout.strip() == "0"
    # The network gone: the address and the bridge this part made go with it.
    assert ExternalPart(context(tmp_path, host_ns)).reconcile(HostState(host="t"))
    assert bridge not in links.link_names(host_ns)
    assert snapshot(host_ns) == before


def test_manage_network_teardown(tmp_path: Path, host_ns: str) -> None:
    before = snapshot(host_ns)
    state, net = public_state()
    router_id = str(uuid.uuid4())
    gw = RouterPort(str(uuid.uuid4()), net, "s", "fa:16:3e:00:01:01", "172.24.4.10", 24)
    state.routers = [Router(router_id, "p", gateway=gw, gateway_ips=[gw],
                            external_gateway_ip="172.24.4.1")]
    ctx = context(tmp_path, host_ns, masquerade_interface="uplink0")
    ctx.state_dir = tmp_path / "data" / "network-agent" / "t"   # where the agent keeps it
    try:
        ExternalPart(ctx).reconcile(state)
        L3Part(ctx).reconcile(state)
        assert links.netns_exists(f"qrouter-{router_id}")
        env = {**os.environ, "NIMBUS_NETWORK__HOST_NETNS": host_ns,
               "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
        done = subprocess.run([sys.executable, "-m", "nimbus.cli", "manage", "network-teardown",
                               "--data-dir", str(tmp_path / "data")], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert f"namespace qrouter-{router_id} removed" in done.stdout
        assert not links.netns_exists(f"qrouter-{router_id}")
        assert set(links.link_names(host_ns)) == {"lo", "uplink0", "uplink1"}
        tables = links.run(["nft", "list", "tables"], host_ns).stdout
        assert "nimbus" not in tables and "bystander" in tables
        assert links.run(["sysctl", "-n", "net.ipv4.ip_forward"], host_ns).stdout.strip() == "0"
        assert snapshot(host_ns) == before
    finally:
        links.delete_netns(f"qrouter-{router_id}")
