"""What bench/network.py runs inside a stand-in guest (``ip netns exec GUEST python
netprobe.py ...``): a DHCP DISCOVER every ``--every`` s until an offer of the wanted address
comes, TCP connects every ``--every`` s until one succeeds, or a TCP listener.

Each probe prints ``ready <t>`` once it is set up and ``ok <t> <detail>`` when it succeeds
(``t`` is CLOCK_MONOTONIC, shared by every namespace, so the bench compares it with its own
clock), or ``timeout <t>`` at its deadline; it exits 0 only on success. Standard library
only: it runs with whatever Python the bench runs with.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import struct
import sys
import time

DHCP_MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER = 1, 2


def say(*words: object) -> None:
    print(*words, flush=True)


def discover_packet(mac: bytes, xid: int) -> bytes:
    """A BOOTP request with the broadcast flag, so the offer comes back to 255.255.255.255
    and a plain UDP socket on an address-less interface receives it."""
    head = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                       b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4, mac, b"", b"")
    options = bytes([53, 1, DISCOVER, 61, 7, 1, *mac, 55, 3, 1, 3, 6, 255])
    return head + DHCP_MAGIC + options


def parse_offer(packet: bytes, xid: int) -> str | None:
    """The offered address (yiaddr) of a DHCPOFFER answering ``xid``, else None."""
    if len(packet) < 240 or packet[0] != 2 or packet[236:240] != DHCP_MAGIC:
        return None
    if struct.unpack("!I", packet[4:8])[0] != xid:
        return None
    options, i = packet[240:], 0
    while i + 1 < len(options) and options[i] != 255:
        code, size = options[i], options[i + 1]
        if code == 53 and size == 1 and options[i + 2] == OFFER:
            return socket.inet_ntoa(packet[16:20])
        i += 2 + size if code != 0 else 1
    return None


def dhcp(args: argparse.Namespace) -> int:
    mac = bytes.fromhex(args.mac.replace(":", ""))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, args.interface.encode())
    sock.bind(("0.0.0.0", 68))
    deadline = time.monotonic() + args.deadline
    say("ready", time.monotonic())
    sent = 0
    while time.monotonic() < deadline:
        xid = int.from_bytes(os.urandom(4), "big")
        try:
            sock.sendto(discover_packet(mac, xid), ("255.255.255.255", 67))
            sent += 1
        except OSError:
            pass  # the link may not be up yet: the next round tries again
        until = time.monotonic() + args.every
        while (left := until - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            offered = parse_offer(sock.recv(4096), xid)
            if offered is not None and args.want in (None, offered):
                say("ok", time.monotonic(), f"{offered} after {sent} discovers")
                return 0
    say("timeout", time.monotonic(), f"no offer in {args.deadline:g} s, {sent} discovers")
    return 1


def connect(args: argparse.Namespace) -> int:
    host, port = args.to.rsplit(":", 1)
    deadline = time.monotonic() + args.deadline
    say("ready", time.monotonic())
    tries = 0
    while time.monotonic() < deadline:
        tries += 1
        started = time.monotonic()
        # A new socket each try: a dropped SYN would otherwise wait for the kernel's 1 s
        # retransmission, and a new source port is a new conntrack entry.
        with socket.socket() as sock:
            sock.settimeout(args.every)
            try:
                sock.connect((host, int(port)))
                say("ok", time.monotonic(), f"after {tries} tries")
                return 0
            except OSError:
                pass
        time.sleep(max(0.0, args.every - (time.monotonic() - started)))
        if args.once:
            break
    say("timeout", time.monotonic(), f"no connect in {args.deadline:g} s, {tries} tries")
    return 1


def listen(args: argparse.Namespace) -> int:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", args.port))
        sock.listen(64)
        sock.settimeout(1.0)
        say("ready", time.monotonic())
        deadline = time.monotonic() + args.deadline
        while time.monotonic() < deadline:
            try:
                conn, _ = sock.accept()
                conn.close()
            except TimeoutError:
                continue
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="probe", required=True)
    d = sub.add_parser("dhcp")
    d.add_argument("--mac", required=True)
    d.add_argument("--want", default=None, help="the address the offer must carry")
    d.add_argument("--interface", default="eth0")
    c = sub.add_parser("connect")
    c.add_argument("--to", required=True, help="ADDRESS:PORT")
    c.add_argument("--once", action="store_true", help="one try only")
    ls = sub.add_parser("listen")
    ls.add_argument("--port", type=int, required=True)
    for q in (d, c, ls):
        q.add_argument("--every", type=float, default=0.02)
        q.add_argument("--deadline", type=float, default=10.0)
    args = p.parse_args(argv)
    return {"dhcp": dhcp, "connect": connect, "listen": listen}[args.probe](args)


if __name__ == "__main__":
    sys.exit(main())
