"""L2: a Linux bridge per network with ports on this host, its segment (VXLAN with static
FDB entries, or a flat/VLAN provider interface), and the plugging of port devices.

Neutron's Linux-bridge names: bridge ``brq<network[:11]>``, ``vxlan-<vni>``, VLAN device
``<iface>.<vlan>``, port device ``tap<port[:11]>``. All of it lives in the agent's host netns
(``HostContext.netns``). Inside it the agent owns every ``brq*`` and ``vxlan-*`` device and
removes those of networks that left the state; of the host's own interfaces it touches only
those named in ``physical_interface_mappings``.

Plugging: a ``tap<port[:11]>`` device of a port in the state, whenever it appears (QEMU's
tap, a DHCP or router namespace's veth, a test's veth), is put on its network's bridge with
the network's MTU and set up. A watcher thread (netlink link events, with a periodic scan as
a safety net) does it within a moment of the device appearing and tells the agent through
``on_port_plugged(port_id)`` / ``on_port_unplugged(port_id)`` (called from that thread or
from ``reconcile``; never with the part's lock held).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from nimbus.agents.network import ip
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.messages import HostState, Network

BRIDGE_PREFIX = "brq"
TAP_PREFIX = "tap"
VXLAN_PREFIX = "vxlan-"
# How often the watcher scans when no event came: a missed event costs at most this.
SCAN_INTERVAL = 5.0
# In the agent's state dir: the taps of ports some state named (see L2Part._seen_taps).
SEEN_TAPS_FILE = "l2-taps.json"

PortCallback = Callable[[str], None]


def bridge_name(network_id: str) -> str:
    return BRIDGE_PREFIX + network_id[:11]


def tap_name(port_id: str) -> str:
    return TAP_PREFIX + port_id[:11]


def vxlan_name(vni: int) -> str:
    return f"{VXLAN_PREFIX}{vni}"


def vlan_name(iface: str, vlan_id: int) -> str:
    """``<iface>.<vlan>``, the interface part shortened to fit IFNAMSIZ (15 characters)."""
    suffix = f".{vlan_id}"
    return iface[:15 - len(suffix)] + suffix


def parse_mappings(text: str) -> dict[str, str]:
    """``physnet1:eth1,physnet2:eth2`` -> {physnet: interface}."""
    out = {}
    for item in text.split(","):
        if ":" in item:
            physnet, iface = item.split(":", 1)
            out[physnet.strip()] = iface.strip()
    return out


@dataclass
class Segment:
    """How a bridge reaches the other hosts: a device on it, made by us or named by the
    operator."""

    kind: str                   # vxlan | flat | vlan
    device: str
    vni: int = 0                # vxlan
    local_ip: str = ""          # vxlan
    parent: str = ""            # vlan: the mapped interface
    vlan_id: int = 0
    fdb: set[tuple[str, str]] = field(default_factory=set)     # vxlan: (mac, vtep)


@dataclass
class WantedNetwork:
    network_id: str
    bridge: str
    mtu: int
    # The bridge is the operator's (a mapping that names a bridge): not created or removed.
    own_bridge: bool = True
    segment: Segment | None = None
    taps: dict[str, str] = field(default_factory=dict)     # tap name -> port id (to plug)
    ports: set[str] = field(default_factory=set)            # every port of the state here
    # Trunk parents: parent tap -> {subport tap: VLAN id}. A subport's device is a VLAN
    # device of its parent's tap named as its own tap (Neutron's Linux-bridge trunk driver),
    # which is then plugged into the subport network's bridge like any tap.
    trunks: dict[str, dict[str, int]] = field(default_factory=dict)


class L2Part:
    """The Linux-bridge part; see the module docstring."""

    name = "l2"

    def __init__(self, ctx: HostContext, *, on_port_plugged: PortCallback | None = None,
                 on_port_unplugged: PortCallback | None = None, watch: bool = True) -> None:
        self.ctx = ctx
        # By default a plug or unplug is reported to the service through the agent.
        self.on_port_plugged = on_port_plugged or (
            lambda port_id: ctx.report_port_status(port_id, "ACTIVE"))
        self.on_port_unplugged = on_port_unplugged or (
            lambda port_id: ctx.report_port_status(port_id, "DOWN"))
        self.watch = watch
        self._lock = threading.RLock()
        self._wanted: dict[str, WantedNetwork] = {}
        self._plugged: set[str] = set()          # port ids whose tap is on its bridge
        # Taps of every port any state named: only those are unplugged when unwanted; a tap
        # no state named (another part's, or a port of another agent's) is left alone. Kept
        # in the state dir: a port deleted while the agent was down (killed, stopped) still
        # has its tap released by the next agent.
        self._taps_file = ctx.state_dir / SEEN_TAPS_FILE
        self._seen_taps: set[str] = self._load_seen_taps()
        self._saved_taps: list[str] = sorted(self._seen_taps)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._watcher: ip.LinkWatcher | None = None
        self._local_ip = ""

    # --- the Part interface ------------------------------------------------------------

    def reconcile(self, state: HostState) -> list[str]:
        events: list[tuple[bool, str]] = []
        with self._lock:
            links = {link.name: link for link in ip.links(self.ctx.netns)}
            wanted = self._desired(state, links)
            changes: list[str] = []
            for w in wanted.values():
                try:
                    changes += self._ensure_network(w, links)
                except ip.IpError as e:     # one broken network must not stop the others
                    self.ctx.log.error("l2 for network %s: %s", w.network_id, e)
                    changes.append(f"failed l2 for network {w.network_id}: {e}")
            present = {bridge_name(n.id) for n in state.networks}
            changes += self._remove_stale(wanted, ip.links(self.ctx.netns), present)
            self._wanted = wanted
            self._seen_taps |= {tap_name(p.id) for n in state.networks for p in n.ports}
            changes += self._plug_taps(events)
            self._save_seen_taps()
        self._notify(events)
        if self.watch:
            self.start()
        return changes

    def _load_seen_taps(self) -> set[str]:
        try:
            names = json.loads(self._taps_file.read_text())
        except (OSError, ValueError):
            return set()
        return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()

    def _save_seen_taps(self) -> None:
        """Only the taps that still exist or are wanted: the file stays small."""
        present = {link.name for link in ip.links(self.ctx.netns)}
        wanted = {tap for w in self._wanted.values() for tap in w.taps}
        keep = sorted(self._seen_taps & (present | wanted))
        if keep == self._saved_taps:
            return
        try:
            self._taps_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._taps_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(keep))
            tmp.replace(self._taps_file)
            self._saved_taps = keep
        except OSError as e:      # the in-memory set still serves this agent's life
            self.ctx.log.warning("l2: cannot keep the tap ledger %s: %s", self._taps_file, e)

    def teardown(self) -> list[str]:
        """Remove every bridge and VXLAN device this part owns in the host netns."""
        self.stop()
        with self._lock:
            self._wanted = {}
            self._plugged.clear()
            return self._remove_stale({}, ip.links(self.ctx.netns))

    def configurations(self) -> dict[str, object]:
        """What the "Linux bridge agent" reports (``AgentReport.configurations``), in the
        shape Neutron's agent reports it."""
        with self._lock:
            devices = len(self._plugged)
        local_ip = self._local_ip or self._options("local_ip")
        return {"interface_mappings": parse_mappings(
                    self._options("physical_interface_mappings")),
                "bridge_mappings": {}, "tunnel_types": ["vxlan"] if local_ip else [],
                "tunneling_ip": local_ip, "l2_population": True, "devices": devices,
                "extensions": []}

    # --- desired state -----------------------------------------------------------------

    def _options(self, name: str, default: str = "") -> str:
        return str(getattr(self.ctx.options, name, default) or default)

    def _desired(self, state: HostState, links: dict[str, ip.Link]) -> dict[str, WantedNetwork]:
        mappings = parse_mappings(self._options("physical_interface_mappings"))
        local_ip = self._local_ip = state.local_ip or self._options("local_ip") or ""
        wanted = {}
        for net in state.networks:
            if not net.ports:
                continue
            w = WantedNetwork(net.id, bridge_name(net.id), net.mtu)
            w.segment = self._segment(net, mappings, local_ip, links, w)
            w.taps = {tap_name(p.id): p.id for p in net.ports if p.admin_state_up}
            w.ports = {p.id for p in net.ports}
            w.trunks = {tap_name(p.id): {tap_name(sub): vid for sub, vid in p.subports.items()}
                        for p in net.ports if p.subports and p.admin_state_up}
            wanted[net.id] = w
        return wanted

    def _segment(self, net: Network, mappings: dict[str, str], local_ip: str,
                 links: dict[str, ip.Link], w: WantedNetwork) -> Segment | None:
        if net.network_type == "vxlan":
            if not local_ip or net.segmentation_id is None:
                return None        # no underlay address: the network stays host-local
            fdb = {(ip.ZERO_MAC, peer) for peer in net.peers if peer != local_ip}
            fdb |= {(mac.lower(), vtep) for mac, vtep in net.remote_macs.items()
                    if vtep != local_ip}
            return Segment("vxlan", vxlan_name(net.segmentation_id),
                           vni=net.segmentation_id, local_ip=local_ip, fdb=fdb)
        if net.network_type not in ("flat", "vlan"):
            return None
        iface = mappings.get(net.physical_network or "")
        if not iface:
            self.ctx.log.warning("network %s: physical network %s has no interface in "
                                 "physical_interface_mappings", net.id, net.physical_network)
            return None
        if net.network_type == "flat":
            if iface in links and links[iface].kind == "bridge":
                w.bridge, w.own_bridge = iface, False      # a bridge mapping: use it as is
                return None
            return Segment("flat", iface)
        vid = int(net.segmentation_id or 0)
        if not 1 <= vid <= 4094:
            self.ctx.log.warning("network %s: vlan network without a VLAN id", net.id)
            return None
        return Segment("vlan", vlan_name(iface, vid), parent=iface, vlan_id=vid)

    # --- making it so ------------------------------------------------------------------

    def _ensure_network(self, w: WantedNetwork, links: dict[str, ip.Link]) -> list[str]:
        ns, changes = self.ctx.netns, []
        if w.own_bridge:
            br = links.get(w.bridge)
            if br is None:
                ip.create_bridge(w.bridge, netns=ns, mtu=w.mtu)
                changes.append(f"created bridge {w.bridge} (mtu {w.mtu})")
            elif br.mtu != w.mtu or not br.up:
                ip.set_link(w.bridge, netns=ns, mtu=w.mtu, up=True)
                changes.append(f"set bridge {w.bridge} mtu {w.mtu} up")
        if w.segment is not None:
            changes += self._ensure_segment(w, w.segment, links)
        return changes

    def _ensure_segment(self, w: WantedNetwork, seg: Segment,
                        links: dict[str, ip.Link]) -> list[str]:
        ns, changes = self.ctx.netns, []
        link = links.get(seg.device)
        if seg.kind == "flat" and link is None:
            self.ctx.log.warning("network %s: interface %s not found", w.network_id,
                                 seg.device)
            return []
        if link is not None and not _segment_matches(seg, link, links):
            ip.delete_link(seg.device, netns=ns)
            changes.append(f"removed {seg.device} (settings changed)")
            link = None
        if link is None:
            if seg.kind == "vxlan":
                ip.create_vxlan(seg.device, seg.vni, local_ip=seg.local_ip, netns=ns,
                                mtu=w.mtu)
            else:
                ip.create_vlan(seg.device, seg.parent, seg.vlan_id, netns=ns, mtu=w.mtu)
            changes.append(f"created {seg.kind} device {seg.device}")
            link = ip.get_link(seg.device, ns)
        bridge = links.get(w.bridge) or ip.get_link(w.bridge, ns)
        if link is not None and bridge is not None and \
                (link.master != bridge.index or not link.up):
            ip.set_master(seg.device, w.bridge, netns=ns)
            ip.set_link(seg.device, netns=ns, up=True)
            changes.append(f"plugged {seg.device} into {w.bridge}")
        if seg.kind == "vxlan":
            changes += self._sync_fdb(seg)
        return changes

    def _sync_fdb(self, seg: Segment) -> list[str]:
        ns, changes = self.ctx.netns, []
        have = ip.fdb_entries(seg.device, netns=ns)
        for mac, dst in sorted(have - seg.fdb):
            ip.fdb_delete(seg.device, mac, dst, netns=ns)
            changes.append(f"fdb {seg.device}: removed {mac} -> {dst}")
        for mac, dst in sorted(seg.fdb - have):
            ip.fdb_append(seg.device, mac, dst, netns=ns)
            changes.append(f"fdb {seg.device}: added {mac} -> {dst}")
        return changes

    def _remove_stale(self, wanted: dict[str, WantedNetwork], links: list[ip.Link],
                      present: set[str] | None = None) -> list[str]:
        """Delete our bridges of networks gone from the state (``present``: bridge names of
        the networks still in it, with ports here or not: the external part may hold an
        address on one) and the VXLAN devices no wanted network uses; VLAN devices on a
        mapped interface go with their bridge."""
        ns, changes = self.ctx.netns, []
        keep = {w.bridge for w in wanted.values()} | (present or set())
        keep |= {w.segment.device for w in wanted.values() if w.segment is not None}
        by_index = {link.index: link for link in links}
        mapped = set(parse_mappings(self._options("physical_interface_mappings")).values())
        for link in links:
            if link.name in keep:
                continue
            if link.name.startswith(BRIDGE_PREFIX) and link.kind == "bridge":
                for slave in links:
                    parent = by_index.get(slave.info.get("parent", -1))
                    if slave.master == link.index and slave.kind == "vlan" and \
                            parent is not None and parent.name in mapped:
                        ip.delete_link(slave.name, netns=ns)
                        changes.append(f"removed vlan device {slave.name}")
                ip.delete_link(link.name, netns=ns)
                changes.append(f"removed bridge {link.name}")
            elif link.name.startswith(VXLAN_PREFIX) and link.kind == "vxlan":
                ip.delete_link(link.name, netns=ns)
                changes.append(f"removed vxlan device {link.name}")
        return changes

    # --- plugging ----------------------------------------------------------------------

    def plug_taps(self) -> list[str]:
        """Plug every tap of a wanted port that exists now; what the watcher runs."""
        events: list[tuple[bool, str]] = []
        with self._lock:
            changes = self._plug_taps(events)
        self._notify(events)
        return changes

    def _plug_taps(self, events: list[tuple[bool, str]]) -> list[str]:
        ns = self.ctx.netns
        links = {link.name: link for link in ip.links(ns)}
        changes = self._sync_subport_devices(links)
        if changes:
            links = {link.name: link for link in ip.links(ns)}
        plugged_now: set[str] = set()
        bridges_of = {tap: w for w in self._wanted.values() for tap in w.taps}
        for tap, w in bridges_of.items():
            link, bridge = links.get(tap), links.get(w.bridge)
            if link is None or bridge is None:
                continue
            if link.master != bridge.index or not link.up or link.mtu != w.mtu:
                try:
                    ip.set_link(tap, netns=ns, mtu=w.mtu)
                    ip.set_master(tap, w.bridge, netns=ns)
                    ip.set_link(tap, netns=ns, up=True)
                except ip.LinkNotFound:
                    continue        # gone again between the scan and now
                changes.append(f"plugged {tap} into {w.bridge}")
            plugged_now.add(w.taps[tap])
        changes += self._unplug_strays(links, bridges_of)
        # A port that left the state is not reported: it is gone, not down.
        known = {p for w in self._wanted.values() for p in w.ports}
        events += [(True, p) for p in sorted(plugged_now - self._plugged)]
        events += [(False, p) for p in sorted((self._plugged - plugged_now) & known)]
        self._plugged = plugged_now
        return changes

    def _sync_subport_devices(self, links: dict[str, ip.Link]) -> list[str]:
        """Make the VLAN device of every trunk subport whose parent's tap exists, and remove
        the VLAN devices of subports that left their trunk (only on taps of ours)."""
        ns, changes = self.ctx.netns, []
        wanted: dict[str, tuple[str, int]] = {
            sub: (parent, vid) for w in self._wanted.values()
            for parent, subs in w.trunks.items() for sub, vid in subs.items()}
        by_index = {link.index: link for link in links.values()}
        for sub, (parent, vid) in sorted(wanted.items()):
            if parent not in links:
                continue
            link = links.get(sub)
            lower = by_index.get(link.info.get("parent", -1)) if link else None
            if link is not None and link.kind == "vlan" and lower is not None \
                    and lower.name == parent and link.info.get("vlan_id") == vid:
                continue
            try:
                if link is not None:
                    ip.delete_link(sub, netns=ns)
                ip.create_vlan(sub, parent, vid, netns=ns, mtu=links[parent].mtu)
            except ip.IpError as e:
                self.ctx.log.error("trunk subport %s on %s: %s", sub, parent, e)
                continue
            changes.append(f"created subport device {sub} on {parent} vlan {vid}")
        for link in links.values():
            lower = by_index.get(link.info.get("parent", -1))
            if link.kind == "vlan" and link.name.startswith(TAP_PREFIX) \
                    and link.name not in wanted and lower is not None \
                    and lower.name in self._seen_taps:
                ip.delete_link(link.name, netns=ns)
                changes.append(f"removed subport device {link.name}")
        return changes

    def _unplug_strays(self, links: dict[str, ip.Link],
                       bridges_of: dict[str, WantedNetwork]) -> list[str]:
        """Release taps that sit on one of our bridges whose port left the state or is set
        admin down."""
        ours = {link.index for link in links.values()
                if link.kind == "bridge" and (link.name.startswith(BRIDGE_PREFIX) or
                                              link.name in {w.bridge for w in
                                                            self._wanted.values()})}
        changes = []
        for link in links.values():
            if link.name in self._seen_taps and link.name not in bridges_of \
                    and link.master in ours:
                try:
                    ip.set_master(link.name, None, netns=self.ctx.netns)
                except ip.LinkNotFound:
                    continue
                changes.append(f"unplugged {link.name}")
        return changes

    def _notify(self, events: list[tuple[bool, str]]) -> None:
        for plugged, port_id in events:
            callback = self.on_port_plugged if plugged else self.on_port_unplugged
            if callback is None:
                continue
            try:
                callback(port_id)
            except Exception:      # the agent's callback must not stop the plugging
                self.ctx.log.exception("port %s callback failed", port_id)

    # --- the watcher -------------------------------------------------------------------

    def start(self) -> None:
        """Start the watcher thread (once)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._watcher = ip.LinkWatcher(self.ctx.netns)
        self._thread = threading.Thread(target=self._watch, args=(self._watcher,),
                                        name="l2-tap-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the watcher thread (the bridges and plugged taps stay)."""
        self._stop.set()
        if self._watcher is not None:
            try:
                self._watcher.wake()
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _watch(self, watcher: ip.LinkWatcher) -> None:
        try:
            while not self._stop.is_set():
                try:
                    watcher.wait(SCAN_INTERVAL)
                    if not self._stop.is_set():
                        for change in self.plug_taps():
                            self.ctx.log.info("l2: %s", change)
                except ip.IpError as e:
                    self.ctx.log.warning("l2 watcher: %s", e)
                    self._stop.wait(1.0)
        finally:
            self._watcher = None
            watcher.close()
            ip.close_sockets()


def _segment_matches(seg: Segment, link: ip.Link, links: dict[str, ip.Link]) -> bool:
    if seg.kind == "vxlan":
        return (link.kind == "vxlan" and link.info.get("vni") == seg.vni
                and link.info.get("local") == seg.local_ip
                and link.info.get("port") == ip.VXLAN_PORT and not link.info.get("learning"))
    if seg.kind == "vlan":
        parent = links.get(seg.parent)
        return (link.kind == "vlan" and link.info.get("vlan_id") == seg.vlan_id
                and parent is not None and link.info.get("parent") == parent.index)
    return True
