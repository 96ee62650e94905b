"""A lab for the security-group and QoS root tests: a host netns of its own with one bridge,
and "guest" namespaces plugged into it by veth pairs whose host side is named like a
Neutron tap (tap<port[:11]>) and whose guest side carries the port's MAC and addresses.

Plain ``ip`` argv calls; everything made is removed by ``Lab.close`` (the fixture's
finalizer), also when a test fails. Traffic never leaves these namespaces.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

from nimbus.agents.network.messages import FixedIp, Port

TIMEOUT = 10


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=TIMEOUT,
                          check=check)


def netns_exec(netns: str, argv: list[str], *, timeout: float = TIMEOUT,
               check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", netns, *argv], capture_output=True,
                          text=True, timeout=timeout, check=check)


@dataclass
class Guest:
    netns: str
    port: Port

    @property
    def ip(self) -> str:
        return self.port.fixed_ips[0].ip_address

    def run(self, argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        return netns_exec(self.netns, argv, **kw)  # type: ignore[arg-type]


@dataclass
class Lab:
    network_id: str
    host: str
    guests: list[Guest] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def bridge(self) -> str:
        return "brq" + self.network_id[:11]

    @classmethod
    def create(cls) -> Lab:
        lab = cls(str(uuid.uuid4()), f"nimbus-t-{uuid.uuid4().hex[:8]}")
        ip("netns", "add", lab.host)
        ip("-n", lab.host, "link", "add", lab.bridge, "type", "bridge")
        ip("-n", lab.host, "link", "set", lab.bridge, "up")
        return lab

    def add_guest(self, mac: str, address: str, *, ipv6: str | None = None,
                  **port_fields: object) -> Guest:
        fixed = [FixedIp("subnet", address)] + ([FixedIp("subnet6", ipv6)] if ipv6 else [])
        port = Port(id=str(uuid.uuid4()), network_id=self.network_id, project_id="p",
                    mac_address=mac, fixed_ips=fixed, **port_fields)  # type: ignore[arg-type]
        guest = Guest(f"{self.host}-g{len(self.guests)}", port)
        ip("netns", "add", guest.netns)
        self.guests.append(guest)
        tap = "tap" + port.id[:11]
        ip("-n", self.host, "link", "add", tap, "type", "veth", "peer", "name", "eth0",
           "netns", guest.netns)
        ip("-n", self.host, "link", "set", tap, "master", self.bridge, "up")
        ip("-n", guest.netns, "link", "set", "eth0", "address", mac)
        ip("-n", guest.netns, "addr", "add", f"{address}/24", "dev", "eth0")
        if ipv6:
            ip("-n", guest.netns, "addr", "add", f"{ipv6}/64", "dev", "eth0", "nodad")
        ip("-n", guest.netns, "link", "set", "eth0", "up")
        ip("-n", guest.netns, "link", "set", "lo", "up")
        return guest

    def serve_tcp(self, guest: Guest, port: int = 80, *, echo: bool = False) -> None:
        """A TCP server in ``guest`` that answers every connection with "ok", then reads what
        it is sent (for the bandwidth tests) or, with ``echo``, sends it back, until the lab
        closes."""
        code = (
            "import socket,threading\n"
            "s=socket.socket(socket.AF_INET6)\n"
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n"
            f"s.bind(('::',{port})); s.listen(16)\n"
            "def h(c):\n"
            "    c.sendall(b'ok')\n"
            "    while (d := c.recv(65536)):\n"
            f"        {'c.sendall(d)' if echo else 'pass'}\n"
            "    c.close()\n"
            "while True:\n"
            "    c,_=s.accept(); threading.Thread(target=h,args=(c,),daemon=True).start()\n")
        proc = subprocess.Popen(["ip", "netns", "exec", guest.netns, sys.executable, "-c", code])
        self.procs.append(proc)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            out = guest.run(["ss", "-Htln", f"sport = :{port}"], check=False).stdout
            if out.strip():
                return
            time.sleep(0.05)
        raise RuntimeError(f"TCP server on {guest.netns}:{port} did not start")

    def close(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait(timeout=5)
        for guest in self.guests:
            ip("netns", "del", guest.netns, check=False)
        ip("netns", "del", self.host, check=False)


def tcp_ok(guest: Guest, address: str, port: int = 80, *, source: str | None = None,
           timeout: float = 1.0) -> bool:
    """Whether ``guest`` can open a TCP connection to address:port and read the server's
    "ok" (so the reply came back too), within ``timeout``."""
    code = (
        "import socket,sys\n"
        f"s=socket.socket(socket.AF_INET6 if ':' in {address!r} else socket.AF_INET)\n"
        f"s.settimeout({timeout})\n"
        + (f"s.bind(({source!r},0))\n" if source else "")
        + f"s.connect(({address!r},{port}))\n"
        "sys.exit(0 if s.recv(2)==b'ok' else 1)\n")
    proc = guest.run([sys.executable, "-c", code], check=False, timeout=timeout + 5)
    return proc.returncode == 0


def send_bytes(guest: Guest, address: str, size: int, port: int = 80,
               timeout: float = 20.0) -> float:
    """Seconds it takes ``guest`` to push ``size`` bytes to address:port."""
    code = (
        "import socket,time\n"
        f"s=socket.create_connection(({address!r},{port}),timeout={timeout})\n"
        "s.recv(2); t=time.monotonic()\n"
        f"s.sendall(b'x'*{size}); s.shutdown(socket.SHUT_WR); s.recv(1)\n"
        "print(time.monotonic()-t)\n")
    proc = guest.run([sys.executable, "-c", code], timeout=timeout + 5)
    return float(proc.stdout.strip())


class Conversation:
    """One long-lived TCP connection from a guest: ``exchange`` sends a line and says
    whether the echo server answered it within the timeout."""

    CODE = (
        "import socket,sys\n"
        "s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=5); s.recv(2)\n"
        "print('connected',flush=True)\n"
        "s.settimeout(1.0)\n"
        "for line in sys.stdin:\n"
        "    s.sendall(line.encode())\n"
        "    try: print('echo' if s.recv(100) else 'closed',flush=True)\n"
        "    except OSError: print('timeout',flush=True)\n")

    def __init__(self, lab: Lab, guest: Guest, address: str, port: int) -> None:
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", guest.netns, sys.executable, "-c", self.CODE, address,
             str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        lab.procs.append(self.proc)  # type: ignore[arg-type]
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "connected":
            raise RuntimeError("the conversation did not connect")

    def exchange(self) -> bool:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("hello\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip() == "echo"
