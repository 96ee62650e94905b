"""DHCP: per network this host serves (``Network.dhcp``) with a DHCP-enabled subnet, a
``qdhcp-<network>`` namespace holding the DHCP port as ``ns-<port[:11]>`` (its MAC and
addresses), whose bridge side ``tap<port[:11]>`` sits on the network's bridge, and a dnsmasq
daemon listening on it.

A change of ports or options rewrites dnsmasq's files and sends SIGHUP (no restart, so a
new port is served at once); a change of its command line (subnets, the interface) restarts
it. A dnsmasq found running by its pid file with the right command line is kept, so a
restarted agent interrupts nothing.

Named namespaces and processes are global, so this part keeps a ledger
(``<state_dir>/dhcp/ledger.json``) of the networks it made a namespace for, and removes only
those.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from nimbus.agents.network import dnsmasq, ip
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.l2 import bridge_name, tap_name
from nimbus.agents.network.messages import HostState, Network, Port

NAMESPACE_PREFIX = "qdhcp-"
DEVICE_PREFIX = "ns-"


def namespace_name(network_id: str) -> str:
    return NAMESPACE_PREFIX + network_id


def device_name(port_id: str) -> str:
    return DEVICE_PREFIX + port_id[:11]


class Ledger:
    """The set of resource ids a part made global things for, kept in a JSON file and
    rewritten atomically on each change."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> set[str]:
        try:
            return set(json.loads(self.path.read_text()).get("networks", []))
        except (FileNotFoundError, ValueError):
            return set()

    def _save(self, ids: set[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"networks": sorted(ids)}))
        os.replace(tmp, self.path)

    def add(self, network_id: str) -> None:
        ids = self.load()
        if network_id not in ids:
            self._save(ids | {network_id})

    def discard(self, network_id: str) -> None:
        ids = self.load()
        if network_id in ids:
            self._save(ids - {network_id})


class DhcpPart:
    """The DHCP part; see the module docstring."""

    name = "dhcp"

    def __init__(self, ctx: HostContext) -> None:
        self.ctx = ctx
        self.base = ctx.state_dir / "dhcp"
        self.ledger = Ledger(self.base / "ledger.json")
        self._counts = {"networks": 0, "subnets": 0, "ports": 0}

    def configurations(self) -> dict[str, object]:
        """What the "DHCP agent" reports (``AgentReport.configurations``), as Neutron's."""
        return {"dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq",
                "dhcp_lease_duration": self._option("dhcp_lease_duration", 86400),
                "log_agent_heartbeats": False, **self._counts}

    def _option(self, name: str, default: object) -> object:
        value = getattr(self.ctx.options, name, None)
        return default if value in (None, "") else value

    def reconcile(self, state: HostState) -> list[str]:
        changes: list[str] = []
        wanted: dict[str, tuple[Network, Port]] = {}
        for net in state.networks:
            port = dnsmasq.dhcp_port(net, self.ctx.host)
            # An admin-down network gets no DHCP, as Neutron's agent disables it.
            if net.dhcp and net.admin_state_up and port is not None and \
                    dnsmasq.dhcp_subnets(net):
                wanted[net.id] = (net, port)
        for net, port in wanted.values():
            try:
                changes += self._ensure(net, port)
            except ip.IpError as e:     # one broken network must not stop the others
                self.ctx.log.error("dhcp for network %s: %s", net.id, e)
                changes.append(f"failed dhcp for network {net.id}: {e}")
        for network_id in sorted(self.ledger.load() - set(wanted)):
            changes += self._remove(network_id)
        self._counts = {"networks": len(wanted),
                        "subnets": sum(len(n.subnets) for n, _ in wanted.values()),
                        "ports": sum(len(n.ports) for n, _ in wanted.values())}
        return changes

    def teardown(self) -> list[str]:
        changes = []
        for network_id in sorted(self.ledger.load()):
            changes += self._remove(network_id)
        return changes

    # --- one network -------------------------------------------------------------------

    def _paths(self, network_id: str) -> dnsmasq.Paths:
        return dnsmasq.Paths(self.base / network_id)

    def _ensure(self, net: Network, port: Port) -> list[str]:
        ns = namespace_name(net.id)
        changes = []
        if ip.netns_create(ns):
            changes.append(f"created namespace {ns}")
        self.ledger.add(net.id)
        device_changes = self._ensure_device(net, port)
        changes += device_changes
        changes += self._ensure_dnsmasq(net, port, restart=bool(device_changes))
        return changes

    def _ensure_device(self, net: Network, port: Port) -> list[str]:
        """The DHCP port's veth: ``ns-`` in the namespace with the port's MAC and addresses,
        ``tap`` in the host netns on the bridge (when the bridge is there yet)."""
        ns, host_ns = namespace_name(net.id), self.ctx.netns
        dev, tap, changes = device_name(port.id), tap_name(port.id), []
        link = ip.get_link(dev, ns)
        if link is None:
            ip.delete_link(tap, netns=host_ns)      # a half-made pair from before
            ip.create_veth(tap, dev, netns=host_ns, peer_netns=ns,
                           peer_mac=port.mac_address, mtu=net.mtu)
            changes.append(f"created {dev} in {ns} (peer {tap})")
        elif link.mac != port.mac_address.lower() or link.mtu != net.mtu:
            ip.set_link(dev, netns=ns, mac=port.mac_address, mtu=net.mtu)
            changes.append(f"set {dev} mac {port.mac_address} mtu {net.mtu}")
        if link is None or not link.up:
            ip.set_link(dev, netns=ns, up=True)
        # No duplicate address detection: dnsmasq binds the addresses right away.
        changed = ip.set_addresses(dev, self._addresses(net, port), netns=ns, nodad=True)
        if changed:
            changes.append(f"addresses of {dev}: {' '.join(changed)}")
        changes += self._plug_tap(net, tap)
        return changes

    def _plug_tap(self, net: Network, tap: str) -> list[str]:
        host_ns = self.ctx.netns
        bridge = ip.get_link(bridge_name(net.id), host_ns)
        link = ip.get_link(tap, host_ns)
        if link is None or bridge is None or (link.master == bridge.index and link.up):
            return []
        ip.set_master(tap, bridge.name, netns=host_ns)
        ip.set_link(tap, netns=host_ns, up=True)
        return [f"plugged {tap} into {bridge.name}"]

    @staticmethod
    def _addresses(net: Network, port: Port) -> list[str]:
        """The port's addresses on DHCP subnets, and the metadata address when a v4 subnet
        is isolated (the metadata proxy for it listens in this namespace)."""
        subnets = {s.id: s for s in dnsmasq.dhcp_subnets(net)}
        out = []
        for fixed in port.fixed_ips:
            subnet = subnets.get(fixed.subnet_id)
            if subnet is not None:
                out.append(f"{fixed.ip_address}/{subnet.cidr.split('/')[1]}")
        if any(s.ip_version == 4 and dnsmasq.is_isolated(net, s) for s in subnets.values()):
            out.append(dnsmasq.METADATA_CIDR)
        return out

    def _ensure_dnsmasq(self, net: Network, port: Port, *, restart: bool) -> list[str]:
        paths = self._paths(net.id)
        paths.directory.mkdir(parents=True, exist_ok=True)
        domain = str(self._option("dns_domain", "openstacklocal"))
        hosts = dnsmasq.hosts_lines(net)
        gone = dnsmasq.read_host_entries(paths.hosts) - {
            (line.split(",")[0], line.split(",")[-1].strip("[]")) for line in hosts}
        files = [
            dnsmasq.write_if_changed(paths.hosts, hosts),
            dnsmasq.write_if_changed(paths.opts, dnsmasq.opts_lines(net, port)),
            dnsmasq.write_if_changed(paths.addn_hosts, dnsmasq.addn_hosts_lines(net, domain)),
        ]
        argv = dnsmasq.dnsmasq_argv(net, device_name(port.id), paths, domain=domain,
                                    lease=int(str(self._option("dhcp_lease_duration",
                                                               86400))))
        daemon = dnsmasq.Dnsmasq(paths, namespace_name(net.id))
        running = daemon.running_argv()
        if running == argv and not restart:
            if not any(files):
                return []
            daemon.reload()
            if not daemon.release(device_name(port.id), gone):
                return [f"reloaded dnsmasq of network {net.id}"]
        if running is not None:
            daemon.stop()
        daemon.prune_leases(gone)       # a (re)started daemon reads the lease file afresh
        pid = daemon.start(argv)
        verb = "restarted" if running is not None else "started"
        return [f"{verb} dnsmasq of network {net.id} (pid {pid})"]

    def _remove(self, network_id: str) -> list[str]:
        """Stop the network's dnsmasq, remove its namespace, the tap and the files."""
        changes = []
        paths = self._paths(network_id)
        ns = namespace_name(network_id)
        if dnsmasq.Dnsmasq(paths, ns).stop():
            changes.append(f"stopped dnsmasq of network {network_id}")
        if ip.netns_exists(ns):
            for link in ip.links(ns):
                if link.name.startswith(DEVICE_PREFIX):
                    ip.delete_link(link.name, netns=ns)     # its tap goes with it
            ip.netns_delete(ns)
            changes.append(f"removed namespace {ns}")
        shutil.rmtree(paths.directory, ignore_errors=True)
        self.ledger.discard(network_id)
        return changes
