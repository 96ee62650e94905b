"""``nimbus manage network-teardown``: remove every bridge, namespace, process and nftables
table Nimbus made on this host.

What is global (named namespaces, processes) is removed only as the agent's own files say
it made it: the ledgers in ``state_dir/ledger/*.json`` (and the DHCP part's
``state_dir/dhcp/ledger.json``) and the pid files under ``state_dir`` (``*.pid``, ``pid``),
whose process must also be a dnsmasq, a radvd or a metadata proxy. Inside the agent's host netns
the agent owns every ``brq*``, ``tap*`` and ``vxlan-*`` device and every ``nimbus*``
nftables table, so those are removed by name.
Nothing else of the host is touched.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from nimbus.agents.network import l3_links as links
from nimbus.agents.network import nft
from nimbus.agents.network.metadata_proxy import kill_and_wait

log = logging.getLogger("nimbus.agent")

OWNED_LINK_PREFIXES = ("tap", "vxlan-", "brq")
# The processes Nimbus starts and leaves running: only these are killed by pid file.
PROCESS_MARKERS = (b"nimbus.agents.network.metadata_proxy", b"dnsmasq", b"radvd")


def agent_state_dirs(data_dir: Path) -> list[Path]:
    """The network agents' directories of a data dir (DATA_DIR/network-agent/<host>, as
    the agent runner makes them)."""
    root = Path(data_dir) / "network-agent"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def teardown_host(state_dir: Path, host_netns: str | None = None) -> list[str]:
    """Remove what the agent made; returns what was removed, one line each."""
    state_dir = Path(state_dir)
    changes = _stop_processes(state_dir)
    ledgers = _ledgers(state_dir)
    for data in ledgers.values():
        for netns_name, family, table in data.get("nft_tables", []):
            if links.drop_nft_table(netns_name, family, table):
                changes.append(f"nft table {family} {table} removed")
        forward = data.get("forward_was")
        if forward is not None:
            links.sysctl(host_netns, "net.ipv4.ip_forward", forward)
    for data in ledgers.values():
        for namespace in data.get("namespaces", []):
            if links.delete_netns(namespace):
                changes.append(f"namespace {namespace} removed")
    if host_netns is None or links.netns_exists(host_netns):
        changes += _host_links(host_netns)
        changes += _host_tables(host_netns)
    for path in ledgers:
        path.unlink(missing_ok=True)
    for path in (state_dir / "metadata-proxy").glob("*"):
        path.unlink(missing_ok=True)
    for line in changes:
        log.info("teardown: %s", line)
    return changes


def _ledgers(state_dir: Path) -> dict[Path, dict]:
    """Every ledger: ``ledger/<part>.json`` (the shape ``l3_links.Ledger`` writes), and
    the DHCP part's ``dhcp/ledger.json`` ({"networks": [ids]}: qdhcp- namespaces)."""
    out = {}
    for path in sorted((state_dir / "ledger").glob("*.json")):
        try:
            out[path] = json.loads(path.read_text())
        except (OSError, ValueError):
            log.warning("teardown: unreadable ledger %s", path)
    dhcp = state_dir / "dhcp" / "ledger.json"
    try:
        networks = json.loads(dhcp.read_text()).get("networks", [])
        out[dhcp] = {"namespaces": [f"qdhcp-{n}" for n in networks]}
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        log.warning("teardown: unreadable ledger %s", dhcp)
    return out


def _stop_processes(state_dir: Path) -> list[str]:
    changes = []
    pidfiles = [p for p in state_dir.rglob("*") if p.name == "pid" or p.suffix == ".pid"]
    for pidfile in sorted(pidfiles):
        try:
            pid = int(pidfile.read_text().split()[0])
            argv = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            pidfile.unlink(missing_ok=True)
            continue
        if any(marker in argv for marker in PROCESS_MARKERS) and pid != os.getpid():
            kill_and_wait(pid)
            changes.append(f"process {pid} ({pidfile.name}) stopped")
        pidfile.unlink(missing_ok=True)
    return changes


def _host_links(host_netns: str | None) -> list[str]:
    """Devices first (taps, VXLAN), bridges last, so nothing is re-plugged meanwhile."""
    changes = []
    for prefix in OWNED_LINK_PREFIXES:
        for name in sorted(links.link_names(host_netns)):
            if name.startswith(prefix) and links.delete_link(host_netns, name):
                changes.append(f"link {name} removed")
    return changes


def _host_tables(host_netns: str | None) -> list[str]:
    try:
        tables = nft.list_tables(netns=host_netns)
    except nft.NftError:
        return []
    changes = []
    for family, name in tables:
        if name.startswith("nimbus"):
            links.drop_nft_table(host_netns, family, name)
            changes.append(f"nft table {family} {name} removed")
    return changes
