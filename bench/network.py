"""Network benchmarks: port create with IPAM under 8 concurrent clients, port and network
listing, and on the real data plane the time from a port create to its DHCP answer, from a
security-group rule create to its enforcement, and the idle memory of `nimbus up` with its
network agent. Prints one table; never part of the test run.

    python bench/network.py                                  # every figure
    python bench/network.py --only port-create,port-list --ports 50 --duration 3

The API figures run on their own `nimbus up --workers 2` (temp data dir, free loopback port,
NIMBUS_NETWORK__DRIVER=off: no agent; the admin project's quotas lifted). Clients are
threads with an httpx client each and an admin token from keystoneauth1; every create is
checked (201, fixed IPs never handed out twice, in the answers and in the stored list).
Beside each latency the server's CPU per call is shown, and the load average in every row:
on a shared host the wall times include waits for a CPU that other programs hold.

The data-plane figures (dhcp, sg, rss; bench/dataplane.py) need root and a tree with the
network agent, else they say n/a: they run a second `nimbus up` (its default workers unless
--data-plane-workers) whose agent (linuxbridge driver, host ``bench-host``) treats a
network namespace the bench makes as its host, and plug stand-in guests (a netns each, a
veth whose host end is tap<port[:11]>, the guest end with the port's MAC; probes in
bench/netprobe.py). Traffic stays in those namespaces. Everything the bench made is removed
at the end: resources through the API, then any namespace and process left over (only the
ones it made). Set PYTHONPATH to bench another source tree.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from identity import (
    CpuSample,
    Nimbus,
    Row,
    add_common_arguments,
    cpu_sample,
    nimbus_source,
    parse_with_figures,
    print_columns,
    verdict,
)

FIGURES = ("port-create", "port-list", "network-list", "dhcp", "sg", "rss")
API_FIGURES = {"port-create", "port-list", "network-list"}
DATA_PLANE_FIGURES = {"dhcp", "sg", "rss"}
PAGE_TARGET_MS = 50
LIST_PORTS = 1000
LIST_NETWORKS = 50
SUBNET_CIDR = "10.96.0.0/16"


@dataclass
class Bench:
    args: argparse.Namespace
    workdir: Path
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        row.note = f"{row.note}; load {os.getloadavg()[0]:.1f}".lstrip("; ")
        self.rows.append(row)
        print(f"  {row.figure}: p50 {row.p50 or '-'} p99 {row.p99 or '-'} "
              f"{row.rate or '-'} {verdict(row.ok)} {row.note}", flush=True)


# -- the server ---------------------------------------------------------------------------
class NetworkNimbus(Nimbus):
    """`nimbus up` with [network] settings of the bench's choosing (NIMBUS_NETWORK__*)."""

    def __init__(self, args: argparse.Namespace, data_dir: Path, workers: int | None,
                 network: dict[str, str]) -> None:
        super().__init__(args, data_dir, workers)
        self.network = network

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env.update({f"NIMBUS_NETWORK__{k.upper()}": v for k, v in self.network.items()})
        return env


@contextmanager
def serving(args: argparse.Namespace, data_dir: Path, workers: int | None,
            network: dict[str, str]) -> Iterator[NetworkNimbus]:
    server = NetworkNimbus(args, data_dir, workers, network)
    try:
        yield server.start()  # type: ignore[misc]
    finally:
        server.stop()


# -- the API client -----------------------------------------------------------------------
class ApiError(RuntimeError):
    pass


@dataclass
class Api:
    """The network endpoint and an admin token; ``client()`` gives one httpx client (one
    keep-alive connection) for one thread."""

    base: str
    token: str
    server_pid: int  # whose process tree's CPU time the loads note
    project_id: str

    @classmethod
    def of(cls, server: Nimbus) -> Api:
        from keystoneauth1 import session
        from keystoneauth1.identity import v3

        auth = v3.Password(auth_url=server.auth_url, username="admin",
                           password=server.password, user_domain_name="Default",
                           project_name="admin", project_domain_name="Default")
        sess = session.Session(auth=auth)
        base = str(sess.get_endpoint(service_type="network", interface="public")).rstrip("/")
        base = base.removesuffix("/v2.0")
        return cls(f"{base}/v2.0", str(sess.get_token()),
                   server.proc.pid, str(sess.get_project_id()))  # type: ignore[union-attr]

    def client(self) -> Any:
        import httpx

        return httpx.Client(base_url=self.base, headers={"X-Auth-Token": self.token},
                            timeout=60)

    def call(self, method: str, path: str, body: Any = None, expect: int = 200,
             client: Any = None) -> Any:
        own = client is None
        client = client or self.client()
        try:
            answer = client.request(method, path, json=body)
        finally:
            if own:
                client.close()
        if answer.status_code != expect:
            raise ApiError(f"{method} {path} answered {answer.status_code}, not {expect}: "
                           f"{answer.text[:300]}")
        return answer.json() if answer.content else None


def unlimited_quotas(api: Api) -> None:
    """No quota in the way of the admin project's 1,000 ports (Neutron's default is 500)."""
    quota = {name: -1 for name in ("network", "subnet", "port", "security_group",
                                   "security_group_rule")}
    try:
        api.call("PUT", f"/quotas/{api.project_id}", {"quota": quota})
    except ApiError as exc:
        if " 404" not in str(exc):  # a tree without quotas has none to lift
            raise


def make_network(api: Api, name: str, cidr: str, **extra: Any) -> tuple[str, str]:
    """(network id, subnet id) of a new network with one IPv4 subnet."""
    net = api.call("POST", "/networks", {"network": {"name": name, **extra}}, 201)
    subnet = api.call("POST", "/subnets", {"subnet": {
        "network_id": net["network"]["id"], "ip_version": 4, "cidr": cidr,
        "name": f"{name}-v4"}}, 201)
    return net["network"]["id"], subnet["subnet"]["id"]


# -- timing -------------------------------------------------------------------------------
@dataclass
class Load:
    """Latencies (ms) of the calls that succeeded, what failed, and the wall time."""

    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    wall: float = 0.0
    server_cpu: float = 0.0  # CPU seconds of the server's process tree meanwhile
    lock: threading.Lock = field(default_factory=threading.Lock)

    def p(self, q: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0

    @property
    def rate(self) -> float:
        return len(self.times) / self.wall if self.wall else 0.0

    def errors_note(self) -> str:
        if not self.errors:
            return "no errors"
        return f"{len(self.errors)} ERRORS! first: {self.errors[0][:160]}"

    def cpu_note(self) -> str:
        """CPU per call: what a busy host disturbs least (wall times here include the
        waits for a CPU other programs hold)."""
        calls = len(self.times) + len(self.errors)
        return (f"server CPU {self.server_cpu / max(calls, 1) * 1000:.1f} ms/call, "
                f"{self.server_cpu / max(self.wall, 1e-9):.2f} CPUs")


def run_clients(api: Api, clients: int, call: Callable[[Any, int, int], Any],
                count: int | None, seconds: float) -> Load:
    """``clients`` threads, each with its own httpx client, call ``call(client, thread,
    n)`` until ``count`` calls each (None: no bound) or ``seconds`` have passed; a call
    raises to count as an error, else its result is kept."""
    load = Load()
    start = threading.Barrier(clients + 1)
    deadline: list[float] = [0.0]

    def worker(thread: int) -> None:
        import httpx

        with api.client() as client:
            start.wait()
            n = 0
            while (count is None or n < count) and time.perf_counter() < deadline[0]:
                began = time.perf_counter()
                try:
                    result = call(client, thread, n)
                except (ApiError, httpx.HTTPError) as exc:
                    with load.lock:
                        load.errors.append(str(exc) or repr(exc))
                else:
                    with load.lock:
                        load.times.append((time.perf_counter() - began) * 1000)
                        load.results.append(result)
                n += 1

    threads = [threading.Thread(target=worker, args=(t,), daemon=True)
               for t in range(clients)]
    for t in threads:
        t.start()
    before = cpu_sample(api.server_pid)
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    load.wall = time.perf_counter() - began
    load.server_cpu = cpu_since(before, api.server_pid)
    return load


def cpu_since(before: CpuSample, server: int) -> float:
    """CPU seconds the server's process tree used since ``before``."""
    after = cpu_sample(server)
    return sum(after.by_pid.values()) - sum(before.by_pid.get(pid, 0) for pid in after.by_pid)


def latency_row(figure: str, load: Load, clients: int, workers: str, target_ms: float | None,
                note: str) -> Row:
    ok = None if target_ms is None else load.p(0.5) < target_ms and not load.errors
    return Row(figure, clients=str(clients), workers=workers, p50=f"{load.p(0.5):.1f} ms",
               p99=f"{load.p(0.99):.1f} ms", rate=f"{load.rate:.0f}/s",
               target=f"p50 < {target_ms:g} ms" if target_ms else "", ok=ok,
               note=f"{len(load.times)} calls; {load.errors_note()}; {load.cpu_note()}; "
                    f"{note}")


# -- the API figures ----------------------------------------------------------------------
def figure_port_create(bench: Bench, api: Api, net_id: str, workers: str) -> None:
    args = bench.args

    def create(client: Any, thread: int, n: int) -> list[str]:
        port = api.call("POST", "/ports", {"port": {"network_id": net_id,
                                                    "name": f"bench-{thread}-{n}"}},
                        201, client)["port"]
        return [ip["ip_address"] for ip in port["fixed_ips"]]

    load = run_clients(api, args.clients, create, args.ports, args.create_limit)
    handed = [address for addresses in load.results for address in addresses]
    twice = len(handed) - len(set(handed))
    listed = [ip["ip_address"] for p in api.call("GET", f"/ports?network_id={net_id}")["ports"]
              for ip in p["fixed_ips"]]
    stored_twice = len(listed) - len(set(listed))
    missing = sum(1 for addresses in load.results if not addresses)
    clean = not twice and not stored_twice and not missing and not load.errors
    asked = args.clients * args.ports
    bench.add(Row(f"port create (IPAM, {SUBNET_CIDR})", clients=str(args.clients),
                  workers=workers, p50=f"{load.p(0.5):.1f} ms", p99=f"{load.p(0.99):.1f} ms",
                  rate=f"{load.rate:.1f}/s", target="every IP once, no errors", ok=clean,
                  note=f"{len(load.times)} of {asked} creates in {load.wall:.1f} s "
                       f"(bound {args.create_limit:g} s); {load.errors_note()}; addresses "
                       f"handed out twice: {twice} in answers, {stored_twice} of "
                       f"{len(listed)} listed; ports without an address: {missing}; "
                       f"{load.cpu_note()}"))


def fill_ports(api: Api, net_id: str, total: int) -> float:
    """Bulk-create ports until ``net_id`` has ``total``; the seconds it took."""
    began = time.perf_counter()
    have = len(api.call("GET", f"/ports?network_id={net_id}&fields=id")["ports"])
    while have < total:
        batch = min(100, total - have)
        api.call("POST", "/ports", {"ports": [{"network_id": net_id, "name": f"fill-{have + n}"}
                                              for n in range(batch)]}, 201)
        have += batch
    return time.perf_counter() - began


def checked_get(api: Api, path: str, key: str, least: int, paged: bool) -> Callable[..., Any]:
    """A call for run_clients: GET ``path``, which must list at least ``least`` ``key``
    (and have a next link when ``paged``)."""

    def get(client: Any, _thread: int, _n: int) -> int:
        body = api.call("GET", path, client=client)
        found = len(body[key])
        if found < least or (paged and not any(
                link.get("rel") == "next" for link in body.get(f"{key}_links", []))):
            raise ApiError(f"GET {path}: {found} {key}, expected {least}"
                           f"{' and a next link' if paged else ''}")
        return found

    return get


def figure_port_list(bench: Bench, api: Api, net_id: str, workers: str) -> None:
    args = bench.args
    filled = fill_ports(api, net_id, LIST_PORTS)
    made = f"{LIST_PORTS:,} ports on the network ({filled:.1f} s of bulk creates to fill)"
    page = f"/ports?network_id={net_id}&limit=100"
    for clients in sorted({1, args.clients}):
        load = run_clients(api, clients, checked_get(api, page, "ports", 100, True), None,
                           args.duration)
        bench.add(latency_row("port list, page of 100", load, clients, workers,
                              PAGE_TARGET_MS, made))
    full = f"/ports?network_id={net_id}"
    load = run_clients(api, 1, checked_get(api, full, "ports", LIST_PORTS, False), None,
                       args.duration)
    bench.add(latency_row(f"port list, all {LIST_PORTS:,}", load, 1, workers, None, made))


def figure_network_list(bench: Bench, api: Api, workers: str) -> None:
    args = bench.args
    have = len(api.call("GET", "/networks?fields=id")["networks"])
    for n in range(have, LIST_NETWORKS):
        make_network(api, f"bench-list-{n:02d}", f"10.{100 + n // 250}.{n % 250}.0/24")
    count = len(api.call("GET", "/networks?fields=id")["networks"])
    for clients in sorted({1, args.clients}):
        load = run_clients(api, clients, checked_get(api, "/networks", "networks", count,
                                                     False), None, args.duration)
        bench.add(latency_row(f"network list ({count} networks)", load, clients, workers,
                              None, "each with a /24 subnet"))


def api_figures(bench: Bench) -> None:
    args = bench.args
    workers = str(args.workers)
    with serving(args, bench.workdir / "api", args.workers, {"driver": "off"}) as server:
        api = Api.of(server)
        unlimited_quotas(api)
        net_id, _subnet = make_network(api, "bench-ports", SUBNET_CIDR)
        if "port-create" in args.only:
            failing(bench, "port create", figure_port_create, bench, api, net_id, workers)
        if "port-list" in args.only:
            failing(bench, "port list", figure_port_list, bench, api, net_id, workers)
        if "network-list" in args.only:
            failing(bench, "network list", figure_network_list, bench, api, workers)


def failing(bench: Bench, name: str, figure: Callable[..., None], *args: Any) -> None:
    """Runs ``figure``; if it fails, a MISS row says why and the other figures run."""
    try:
        figure(*args)
    except (ApiError, RuntimeError) as exc:
        bench.add(Row(name, rate="FAILED", ok=False, note=str(exc)[:400]))


# -- output -------------------------------------------------------------------------------
def print_table(bench: Bench) -> None:
    head = ("figure", "clients", "workers", "p50", "p99", "ops/s | value", "target", "ok",
            "note")
    print_columns(head, [(r.figure, r.clients, r.workers, r.p50, r.p99, r.rate, r.target,
                          verdict(r.ok) if r.ok is not None or not r.target else "n/a",
                          r.note) for r in bench.rows])


def describe(args: argparse.Namespace) -> None:
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"host: {os.cpu_count()} CPUs ({platform.machine()}), Python "
          f"{platform.python_version()}; load average {load}\n"
          f"server: {args.nimbus} up (source {nimbus_source(args)}); API figures: "
          f"{args.workers} workers, {args.clients} clients x {args.ports} port creates, "
          f"{args.duration:g} s per list figure; data plane: "
          f"{args.data_plane_workers or 'default'} workers, {args.repeat} samples each\n",
          flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ports", type=int, default=125,
                   help="port creates per client (8 x 125 fills the list figure's 1,000)")
    p.add_argument("--create-limit", type=float, default=300,
                   help="seconds after which the port-create clients stop")
    p.add_argument("--duration", type=float, default=5, help="seconds per list figure")
    p.add_argument("--repeat", type=int, default=3,
                   help="timed samples of each data-plane figure (after one untimed)")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=2, help="API workers for the API figures")
    p.add_argument("--data-plane-workers", type=int, default=None,
                   help="API workers of the data-plane server (default: nimbus up's own)")
    p.add_argument("--settle", type=float, default=5,
                   help="seconds idle before the memory figure")
    add_common_arguments(p, FIGURES)
    args = parse_with_figures(p, FIGURES, argv)
    # What identity.py's server helpers read.
    args.bcrypt_cost, args.nice = 4, 0
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="nimbus-bench-network-"))
    bench = Bench(args, workdir)
    describe(args)
    try:
        if args.only & API_FIGURES:
            api_figures(bench)
        if args.only & DATA_PLANE_FIGURES:
            from dataplane import data_plane_figures

            data_plane_figures(bench)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    print_table(bench)


if __name__ == "__main__":
    main()
