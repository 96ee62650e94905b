"""Stand-in guests for the data-plane tests: a network namespace whose ``eth0`` carries a
port's MAC and is the peer of ``tap<port[:11]>`` in the cloud's host netns, as QEMU's tap
would be. Everything a guest does is bounded in time."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

from nimbus.agents.network import ip

UDHCPC_SCRIPT = '#!/bin/sh\n[ "$1" = bound ] && env > "$LEASE_FILE"\nexit 0\n'


def rand() -> str:
    return uuid.uuid4().hex[:8]


class Guest:
    def __init__(self, host_netns: str, port_id: str, mac: str, workdir: Path,
                 mtu: int = 1450) -> None:
        self.name = f"nimbus-g-{rand()}"
        self.workdir = workdir
        self.servers: list[subprocess.Popen[bytes]] = []
        ip.netns_create(self.name, exist_ok=False)
        ip.create_veth("eth0", f"tap{port_id[:11]}", netns=self.name, peer_netns=host_netns,
                       mac=mac, mtu=mtu)
        ip.set_link("eth0", netns=self.name, up=True)
        ip.set_link("lo", netns=self.name, up=True)

    def run(self, *argv: str, timeout: float = 10, check: bool = False
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.name, *argv], capture_output=True,
                              text=True, timeout=timeout, check=check)

    def lease(self, timeout: float = 15) -> dict[str, str]:
        """A DHCP lease from the network's dnsmasq (busybox udhcpc); the guest takes it."""
        script = self.workdir / "udhcpc.sh"
        script.write_text(UDHCPC_SCRIPT)
        script.chmod(0o755)
        out = self.workdir / f"lease-{self.name}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.run("env", f"LEASE_FILE={out}", "busybox", "udhcpc", "-i", "eth0", "-f",
                     "-q", "-n", "-t", "3", "-T", "1", "-s", str(script), timeout=10)
            if out.exists():
                env = dict(line.split("=", 1) for line in out.read_text().splitlines()
                           if "=" in line)
                self.configure(env["ip"], int(env.get("mask", "24")), env.get("router"))
                return env
        raise AssertionError(f"{self.name}: no DHCP lease within {timeout} s")

    def configure(self, address: str, prefixlen: int, router: str | None = None) -> None:
        self.run("ip", "addr", "flush", "dev", "eth0", check=True)
        self.run("ip", "addr", "add", f"{address}/{prefixlen}", "dev", "eth0", check=True)
        if router:
            self.run("ip", "route", "replace", "default", "via", router, check=True)

    def ping(self, address: str, count: int = 1) -> bool:
        return self.run("ping", "-c", str(count), "-W", "1", address).returncode == 0

    def serve_tcp(self, port: int) -> None:
        """An HTTP server on ``port`` that says which address asked (stops with the guest)."""
        code = ("import http.server as h\n"
                "class H(h.BaseHTTPRequestHandler):\n"
                "    def do_GET(self):\n"
                "        b=self.client_address[0].encode(); self.send_response(200)\n"
                "        self.send_header('Content-Length',str(len(b))); self.end_headers()\n"
                "        self.wfile.write(b)\n"
                "    def log_message(self,*a): pass\n"
                f"h.HTTPServer(('0.0.0.0',{port}),H).serve_forever()\n")
        self.servers.append(subprocess.Popen(
            ["ip", "netns", "exec", self.name, sys.executable, "-c", code],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.3)

    def http_get(self, url: str, timeout: float = 2) -> str | None:
        code = ("import sys,urllib.request as u\n"
                f"print(u.urlopen(sys.argv[1], timeout={timeout}).read().decode())")
        proc = self.run(sys.executable, "-c", code, url, timeout=timeout + 5)
        return proc.stdout.strip() if proc.returncode == 0 else None

    def close(self) -> None:
        for server in self.servers:
            server.kill()
            server.wait(timeout=5)
        ip.netns_delete(self.name)


def until(check, timeout: float, step: float = 0.1) -> float:  # type: ignore[no-untyped-def]
    """Seconds until ``check()`` is true; AssertionError after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(step)
    raise AssertionError(f"not true within {timeout} s")


def host_http_server(netns: str, port: int) -> subprocess.Popen[bytes]:
    """The same echo server in the cloud's host netns (the "host" side of public)."""
    code = ("import http.server as h\n"
            "class H(h.BaseHTTPRequestHandler):\n"
            "    def do_GET(self):\n"
            "        b=self.client_address[0].encode(); self.send_response(200)\n"
            "        self.send_header('Content-Length',str(len(b))); self.end_headers()\n"
            "        self.wfile.write(b)\n"
            "    def log_message(self,*a): pass\n"
            f"h.HTTPServer(('0.0.0.0',{port}),H).serve_forever()\n")
    proc = subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-c", code],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return proc
