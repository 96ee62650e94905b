"""Router advertisements from a router, as Neutron's L3 agent sends them: one ``radvd`` per
``qrouter-`` namespace, advertising on each ``qr-`` interface the IPv6 subnets whose
``ipv6_ra_mode`` is set, with the flags of that mode (slaac: autonomous; dhcpv6-stateless:
autonomous + other config; dhcpv6-stateful: managed), so guests get their default route
(the router's link-local address) and, for SLAAC, their addresses.

The daemon's config and pid file live in the agent's state dir (``l3/<router id>/``); a
changed config is loaded with a restart (radvd re-reads it on SIGHUP, but a restart also
covers an interface it had not seen yet).
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import time
from pathlib import Path

from nimbus.agents.network import ip
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.dnsmasq import cmdline, terminate
from nimbus.agents.network.messages import Network, Router, RouterPort

START_TIMEOUT = 5.0
# (AdvManagedFlag, AdvOtherConfigFlag, AdvAutonomous) per ipv6_ra_mode, as Neutron's radvd.
_FLAGS = {"slaac": (False, False, True), "dhcpv6-stateless": (False, True, True),
          "dhcpv6-stateful": (True, False, False)}


class RadvdError(ip.IpError):
    pass


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def advertised(router: Router) -> dict[str, list[RouterPort]]:
    """qr- device -> its IPv6 router ports with an RA mode (one a subnet)."""
    out: dict[str, list[RouterPort]] = {}
    for port in router.interfaces:
        if port.ipv6_ra_mode in _FLAGS and ":" in port.ip_address:
            out.setdefault(f"qr-{port.port_id[:11]}", []).append(port)
    return out


def render_config(router: Router, networks: dict[str, Network]) -> str:
    """radvd.conf for the router; empty when it advertises nothing."""
    blocks = []
    for device, ports in sorted(advertised(router).items()):
        managed, other, _auto = _FLAGS[ports[0].ipv6_ra_mode or ""]
        mtu = networks[ports[0].network_id].mtu if ports[0].network_id in networks else 0
        lines = [f"interface {device}", "{", "   AdvSendAdvert on;",
                 "   MinRtrAdvInterval 30;", "   MaxRtrAdvInterval 100;",
                 f"   AdvManagedFlag {_on(managed)};", f"   AdvOtherConfigFlag {_on(other)};"]
        if mtu:
            lines.append(f"   AdvLinkMTU {mtu};")
        for port in sorted(ports, key=lambda p: p.subnet_id):
            prefix = ipaddress.ip_interface(f"{port.ip_address}/{port.prefixlen}").network
            auto = _FLAGS[port.ipv6_ra_mode or ""][2] and prefix.prefixlen == 64
            lines += [f"   prefix {prefix}", "   {", "      AdvOnLink on;",
                      f"      AdvAutonomous {_on(auto)};", "   };"]
        lines.append("};")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + ("\n" if blocks else "")


class Radvd:
    """One router's radvd: its files and process."""

    def __init__(self, directory: Path, netns: str) -> None:
        self.directory = directory
        self.netns = netns
        self.conf = directory / "radvd.conf"
        self.pid_file = directory / "radvd.pid"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        argv = cmdline(pid)
        if argv and Path(argv[0]).name == "radvd" and str(self.pid_file) in argv:
            return pid
        return None

    def ensure(self, config: str) -> list[str]:
        """Run radvd with ``config`` (stop it when empty); what changed."""
        if not config:
            return ["radvd stopped"] if self.stop() else []
        current = self.conf.read_text() if self.conf.exists() else None
        if current == config and self.pid():
            return []
        self.directory.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(config)
        self.stop()
        self._start()
        return ["radvd started" if current is None else "radvd restarted with a new config"]

    def _start(self) -> None:
        binary = shutil.which("radvd") or "/usr/sbin/radvd"
        argv = [*ip.netns_argv(self.netns), binary, "-C", str(self.conf), "-p",
                str(self.pid_file), "-m", "logfile", "-l", str(self.directory / "radvd.log")]
        try:
            # radvd daemonises; its parent exits once the config is read.
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=START_TIMEOUT, start_new_session=True,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise RadvdError(" ".join(argv), self.netns, str(e)) from e
        if done.returncode != 0:
            raise RadvdError(" ".join(argv), self.netns, done.stderr.strip() or "failed",
                             done.returncode)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and not self.pid():
            time.sleep(0.02)
        if not self.pid():
            raise RadvdError(" ".join(argv), self.netns, "no pid file after start")

    def stop(self) -> bool:
        pid = self.pid()
        if pid:
            terminate(pid)
        self.pid_file.unlink(missing_ok=True)
        return bool(pid)


def for_router(ctx: HostContext, router_id: str, netns: str) -> Radvd:
    return Radvd(ctx.state_dir / "l3" / router_id, netns)
