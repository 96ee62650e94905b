"""Neutron's metadata proxy: 169.254.169.254:80 inside every qrouter- namespace (and in the
qdhcp- namespace of an isolated network), forwarding to Nimbus' metadata API with the
guest's identity added and signed as Neutron's metadata agent does.

Shape: one small process per namespace, a daemon of its own (it survives the agent and
Nimbus; the agent finds it again by its pid file). The process starts in the agent's own
network namespace — where the metadata API listens on loopback — and:

1. opens ``/run/netns/<name>``, setns()es into it, binds its listening socket to
   169.254.169.254:80 there (the agent has put that address on the namespace's ``lo``),
   and setns()es back. A socket stays in the namespace it was made in, so it keeps
   accepting the guests' connections; every upstream connection the process makes after
   that is made in the agent's namespace and reaches ``http://127.0.0.1:<port>``.
   setns() only touches the calling thread, and this runs before any thread exists.
2. forks into the background (the agent's ``run`` returns when the daemon is ready, so a
   failure to bind is an error the agent sees), writes its pid file, and serves.

The daemon answers from a lookup table the agent rewrites (JSON in ``state_dir``; it is
re-read when its mtime moves): the namespace's networks and their CIDRs, and per network
the ports by IP (device_id, project_id). So the proxy needs no bus. To the upstream request
it adds ``X-Forwarded-For`` (the guest's address), ``X-Instance-ID`` (the device_id of the
port owning that address on that network), ``X-Tenant-ID`` (the port's project),
``X-Instance-ID-Signature`` (hex HMAC-SHA256 of the instance id with the shared secret) and
``X-Neutron-Router-ID`` or ``X-Neutron-Network-ID``; the same headers sent by a guest are
dropped first, so a guest cannot claim another's identity.

``MetadataProxyPart`` runs the proxies of isolated networks (no router interface) in their
qdhcp- namespaces; the L3 part runs the routers'. ``ensure_for_network`` / ``stop`` are
there for a caller that wants to drive one itself.

The pid file also holds the inode of the namespace the socket was bound in: a namespace
deleted and made again under the same name gets a new proxy.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from nimbus.agents.network.base import HostContext
    from nimbus.agents.network.messages import HostState, Network, Port, Router

# The daemon imports nothing of the agent (pyroute2 would double its memory): the agent's
# side below imports its netlink helpers when it runs.
NETNS_DIR = "/run/netns"

METADATA_IP = "169.254.169.254"
METADATA_PORT = 80
CLONE_NEWNET = 0x40000000
STRIPPED = {"x-forwarded-for", "x-instance-id", "x-instance-id-signature", "x-tenant-id",
            "x-neutron-router-id", "x-neutron-network-id", "connection", "keep-alive",
            "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "content-length"}


def sign_instance_id(secret: str, instance_id: str) -> str:
    """Neutron's X-Instance-ID-Signature: hex HMAC-SHA256 of the instance id."""
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


def identity_headers(table: dict[str, Any], address: str) -> dict[str, str] | None:
    """The headers for a request from ``address``, or None when no port owns it."""
    found = lookup(table, address)
    if found is None:
        return None
    network_id, port = found
    headers = {
        "X-Forwarded-For": address,
        "X-Instance-ID": port["device_id"],
        "X-Tenant-ID": port["project_id"],
        "X-Instance-ID-Signature": sign_instance_id(table.get("secret", ""),
                                                    port["device_id"]),
    }
    if table.get("router_id"):
        headers["X-Neutron-Router-ID"] = table["router_id"]
    else:
        headers["X-Neutron-Network-ID"] = network_id
    return headers


def safe_path(path: str) -> bool:
    """Origin-form paths without dot segments: a guest cannot climb out of the metadata
    URL's prefix into the rest of the API."""
    from urllib.parse import unquote

    if not path.startswith("/") or path.startswith("//"):
        return False
    segments = unquote(path.split("?", 1)[0]).split("/")
    return ".." not in segments and "." not in segments and "\\" not in path


def lookup(table: dict[str, Any], address: str) -> tuple[str, dict[str, str]] | None:
    """(network id, port) of the port with ``address`` on a network of the namespace."""
    ip = ipaddress.ip_address(address)
    for network in table.get("networks", []):
        if any(ip in ipaddress.ip_network(c, strict=False) for c in network["cidrs"]):
            port = table.get("ports", {}).get(network["id"], {}).get(address)
            if port is not None:
                return network["id"], port
    return None


# --- the daemon --------------------------------------------------------------------------

class _Table:
    """The lookup table file, re-read when it changes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.mtime = -1.0
        self.data: dict[str, Any] = {}
        self.lock = threading.Lock()

    def get(self) -> dict[str, Any]:
        with self.lock:
            try:
                mtime = os.stat(self.path).st_mtime_ns
                if mtime != self.mtime:
                    self.data = json.loads(Path(self.path).read_text())
                    self.mtime = mtime
            except (OSError, ValueError):
                pass
            return self.data


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        sys.stderr.write(f"{self.client_address[0]} {format % args}\n")

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._forward()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET  # noqa: N815

    def _forward(self) -> None:
        if not safe_path(self.path):
            return self._reply(400, b"Bad Request\n")
        table = self.server.table.get()
        identity = identity_headers(table, self.client_address[0])
        if identity is None:
            return self._reply(404, b"Not Found: no port owns this address\n")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in STRIPPED}
        headers.update(identity)
        try:
            status, reason, answer_headers, data = _upstream(
                table["url"], self.command, self.path, body, headers)
        except (OSError, http.client.HTTPException, KeyError) as exc:
            self.log_message("upstream %s: %s", table.get("url"), exc)
            return self._reply(502, b"Bad Gateway: the metadata service did not answer\n")
        self.send_response(status, reason)
        for key, value in answer_headers:
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _reply(self, status: int, text: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


def _upstream(url: str, method: str, path: str, body: bytes | None,
              headers: dict[str, str]) -> tuple[int, str, list[tuple[str, str]], bytes]:
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else \
        http.client.HTTPConnection
    conn = kind(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request(method, parts.path.rstrip("/") + path, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.reason, answer.getheaders(), answer.read()
    finally:
        conn.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sock: Any, table_path: str) -> None:
        super().__init__(sock.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.table = _Table(table_path)


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns failed")


def bind_in_namespace(namespace: str, address: str, port: int) -> tuple[Any, int]:
    """A listening TCP socket made inside ``namespace``; and that namespace's inode."""
    import socket

    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        inode = os.fstat(target).st_ino
        _setns(target)
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            sock.listen(64)
        finally:
            _setns(own)
    finally:
        os.close(own)
        os.close(target)
    return sock, inode


def _daemonize(pidfile: str, inode: int, log: str) -> None:
    """Fork; the parent exits once the child has written its pid file."""
    read_end, write_end = os.pipe()
    if os.fork() > 0:
        os.close(write_end)
        ok = os.read(read_end, 2) == b"ok"
        os._exit(0 if ok else 1)
    os.close(read_end)
    os.setsid()
    tmp = f"{pidfile}.tmp"
    Path(tmp).write_text(f"{os.getpid()}\n{inode}\n")
    os.replace(tmp, pidfile)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.write(write_end, b"ok")
    os.close(write_end)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nimbus-metadata-proxy")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--pidfile", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=METADATA_PORT)
    args = parser.parse_args(argv)
    try:
        sock, inode = bind_in_namespace(args.namespace, METADATA_IP, args.port)
    except OSError as exc:
        print(f"metadata proxy: cannot listen in {args.namespace}: {exc}", file=sys.stderr)
        return 1
    _daemonize(args.pidfile, inode, args.log)
    server = _Server(sock, args.table)

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    finally:
        if Path(args.pidfile).exists() and \
                Path(args.pidfile).read_text().split()[0] == str(os.getpid()):
            os.unlink(args.pidfile)
    return 0


# --- the agent's side --------------------------------------------------------------------

def _proxy_dir(ctx: HostContext) -> Path:
    path = Path(ctx.state_dir) / "metadata-proxy"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _port_entries(ports: list[Port]) -> dict[str, dict[str, str]]:
    out = {}
    for port in ports:
        for fixed in port.fixed_ips:
            out[fixed.ip_address] = {"device_id": port.device_id,
                                     "project_id": port.project_id, "port_id": port.id}
    return out


def ensure_for_router(ctx: HostContext, router: Router,
                      networks: dict[str, Network]) -> list[str]:
    """The proxy of ``qrouter-<id>``: guests on every network with an interface on it."""
    cidrs: dict[str, set[str]] = {}
    for iface in router.interfaces:
        net = ipaddress.ip_interface(f"{iface.ip_address}/{iface.prefixlen}").network
        cidrs.setdefault(iface.network_id, set()).add(str(net))
    table = {
        "router_id": router.id,
        "networks": [{"id": n, "cidrs": sorted(c)} for n, c in sorted(cidrs.items())],
        "ports": {n: _port_entries(networks[n].ports) for n in sorted(cidrs)
                  if n in networks},
    }
    return ensure(ctx, f"qrouter-{router.id}", table)


def ensure_for_network(ctx: HostContext, namespace: str, network: Network) -> list[str]:
    """The proxy of an isolated network's DHCP namespace (for the DHCP part to call)."""
    table = {
        "network_id": network.id,
        "networks": [{"id": network.id, "cidrs": sorted(s.cidr for s in network.subnets)}],
        "ports": {network.id: _port_entries(network.ports)},
    }
    return ensure(ctx, namespace, table)


def ensure(ctx: HostContext, namespace: str, table: dict[str, Any]) -> list[str]:
    """Write the lookup table, put 169.254.169.254 on the namespace's lo, and have a live
    proxy bound in this very namespace; returns what changed."""
    from nimbus.agents.network import l3_links as links

    changes = []
    table = {**table, "namespace": namespace, "url": ctx.metadata_url,
             "secret": ctx.metadata_secret}
    base = _proxy_dir(ctx) / namespace
    path = base.with_suffix(".json")
    text = json.dumps(table, indent=1, sort_keys=True)
    if not path.exists() or path.read_text() != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.chmod(tmp, 0o600)  # it holds the signing secret
        os.replace(tmp, path)
        changes.append(f"{namespace}: metadata table written")
    changes += links.set_addresses(namespace, "lo", {f"{METADATA_IP}/32"},
                                   only={f"{METADATA_IP}/32"})
    if proxy_pid(ctx, namespace) is None:
        stop(ctx, namespace, keep_table=True)
        _start(namespace, path, base.with_suffix(".pid"), base.with_suffix(".log"))
        changes.append(f"{namespace}: metadata proxy started")
    return changes


def _start(namespace: str, table: Path, pidfile: Path, log: Path) -> None:
    import nimbus
    from nimbus.agents.network import l3_links as links

    env = dict(os.environ)
    root = str(Path(nimbus.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    links.run([sys.executable, "-m", "nimbus.agents.network.metadata_proxy",
               "--namespace", namespace, "--table", str(table), "--pidfile", str(pidfile),
               "--log", str(log)], env=env, timeout=30)


def proxy_pid(ctx: HostContext, namespace: str) -> int | None:
    """The pid of the live proxy of ``namespace`` bound in the namespace that now has that
    name, or None."""
    pidfile = _proxy_dir(ctx) / f"{namespace}.pid"
    pid, inode = _read_pidfile(pidfile)
    if pid is None or not _is_proxy(pid, namespace):
        return None
    try:
        if os.stat(f"{NETNS_DIR}/{namespace}").st_ino != inode:
            return None
    except OSError:
        return None
    return pid


def _read_pidfile(pidfile: Path) -> tuple[int | None, int | None]:
    try:
        fields = pidfile.read_text().split()
        return int(fields[0]), int(fields[1])
    except (OSError, ValueError, IndexError):
        return None, None


def _is_proxy(pid: int, namespace: str) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"nimbus.agents.network.metadata_proxy" in argv and namespace.encode() in argv


def stop(ctx: HostContext, namespace: str, keep_table: bool = False) -> list[str]:
    """Stop the proxy of ``namespace`` (only the one our pid file names) and forget it."""
    base = _proxy_dir(ctx) / namespace
    pid, _ = _read_pidfile(base.with_suffix(".pid"))
    changes = []
    if pid is not None and _is_proxy(pid, namespace):
        kill_and_wait(pid)
        changes.append(f"{namespace}: metadata proxy stopped")
    suffixes = (".pid",) if keep_table else (".pid", ".json", ".log")
    for suffix in suffixes:
        base.with_suffix(suffix).unlink(missing_ok=True)
    return changes


def kill_and_wait(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; returns when the process is gone."""
    import time

    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def proxied_namespaces(ctx: HostContext) -> list[str]:
    """The namespaces this agent has (or had) a proxy for, from its files."""
    return sorted(p.stem for p in _proxy_dir(ctx).glob("*.json"))


ROUTER_INTERFACE_OWNERS = ("network:router_interface", "network:ha_router_replicated_interface",
                           "network:router_interface_distributed")


def isolated(network: Network) -> bool:
    """No router interface on the network: its guests reach metadata through the DHCP
    namespace (Neutron's enable_isolated_metadata)."""
    return not any(p.device_owner in ROUTER_INTERFACE_OWNERS for p in network.ports)


class MetadataProxyPart:
    """The proxies of isolated networks, in their ``qdhcp-<network>`` namespaces (made by
    the DHCP part, which runs before this one). The routers' proxies are the L3 part's."""

    name = "metadata_proxy"

    def __init__(self, ctx: HostContext) -> None:
        self.ctx = ctx

    def reconcile(self, state: HostState) -> list[str]:
        from nimbus.agents.network import l3_links as links

        changes: list[str] = []
        wanted = {}
        if self.ctx.metadata_url:
            wanted = {f"qdhcp-{n.id}": n for n in state.networks
                      if n.dhcp and isolated(n) and links.netns_exists(f"qdhcp-{n.id}")}
        for namespace, network in sorted(wanted.items()):
            try:
                changes += ensure_for_network(self.ctx, namespace, network)
            except links.HOST_ERRORS as exc:
                self.ctx.log.error("metadata proxy %s: %s", namespace, exc)
                changes.append(f"{namespace}: failed: {exc}")
        for namespace in proxied_namespaces(self.ctx):
            if namespace.startswith("qdhcp-") and namespace not in wanted:
                changes += stop(self.ctx, namespace)
        for line in changes:
            self.ctx.log.info("metadata: %s", line)
        return changes

    def teardown(self) -> list[str]:
        changes = []
        for namespace in proxied_namespaces(self.ctx):
            if namespace.startswith("qdhcp-"):
                changes += stop(self.ctx, namespace)
        return changes


if __name__ == "__main__":
    sys.exit(main())
