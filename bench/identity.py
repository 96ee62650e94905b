"""Identity benchmarks: token issue, token validation and project listing under wrk, plus
`nimbus up` start-up time and idle memory. Prints one table; never part of the test run.

    python bench/identity.py                     # every figure, 10 s per load figure
    python bench/identity.py --only validate,projects --duration 5

It starts its own Nimbus (temp data dir, free loopback port, NIMBUS_BCRYPT_COST=12), sets it
up through the API with openstacksdk, loads it with wrk (installed with apt-get when missing)
and stops everything it started. Set PYTHONPATH to bench another source tree.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LUA = HERE / "identity.lua"
FIGURES = ("startup", "memory", "issue", "validate", "projects", "storm")

# The issue's figures for a real Keystone (bcrypt cost 12, 8 clients where a rate is given).
KEYSTONE = {
    "issue-1": "p50 264 ms",
    "issue-8": "7.4/s",
    "validate": "p50 8 ms, 175/s",
    "projects": "p50 18 ms, 89/s",
    "memory": "RSS 283 MiB",
}


@dataclass
class Row:
    figure: str
    clients: str = ""
    workers: str = ""
    p50: str = ""
    p99: str = ""
    rate: str = ""
    target: str = ""
    ok: bool | None = None
    keystone: str = ""
    note: str = ""


@dataclass
class Bench:
    args: argparse.Namespace
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.figure}: p50 {row.p50 or '-'} p99 {row.p99 or '-'} "
              f"rate {row.rate or '-'} {row.note}", flush=True)


# -- the server ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_status(port: int, path: str, method: str = "GET", body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        conn.close()


def server_env(source: str | None = None) -> dict[str, str]:
    """The server's environment: no NIMBUS_*/OS_* from ours; the source tree ``source``,
    else the one this script sits in, unless PYTHONPATH names another."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIMBUS_", "OS_"))}
    env["PYTHONPATH"] = source or os.environ.get("PYTHONPATH") or str(HERE.parent)
    return env


def nimbus_source(args: argparse.Namespace) -> str:
    cmd = args.nimbus.split()[:1] + ["-c", "import nimbus; print(nimbus.__file__)"]
    found = subprocess.run(cmd, env=server_env(), capture_output=True, text=True,
                           cwd=tempfile.gettempdir())
    return str(Path(found.stdout.strip()).parent.parent) if found.returncode == 0 else "?"


class Nimbus:
    """One `nimbus up` process tree on a data dir; ``ready_s`` is exec -> first 200."""

    def __init__(self, args: argparse.Namespace, data_dir: Path, workers: int | None,
                 source: str | None = None) -> None:
        self.args = args
        self.data_dir = data_dir
        self.port = free_port()
        self.workers = workers
        self.source = source
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_s = 0.0

    def command(self) -> list[str]:
        cmd = [*self.args.nimbus.split(), "up", "--data-dir", str(self.data_dir),
               "--port", str(self.port)]
        return cmd + (["--workers", str(self.workers)] if self.workers is not None else [])

    def environment(self) -> dict[str, str]:
        env = server_env(self.source)
        env["NIMBUS_BCRYPT_COST"] = str(self.args.bcrypt_cost)
        # API benchmarks leave the host alone: no bridges, namespaces or guests (the
        # network and compute benches turn their drivers back on where they measure them).
        env.setdefault("NIMBUS_NETWORK__DRIVER", "off")
        env.setdefault("NIMBUS_COMPUTE__DRIVER", "fake")
        return env

    def start(self) -> Nimbus:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = self.environment()
        cmd = niced(self.args, self.command())
        log = open(self.data_dir.parent / f"nimbus-{self.port}.log", "wb")  # noqa: SIM115
        started = time.perf_counter()
        # Run from the temp dir: `python -m` would import a nimbus/ found in the cwd first.
        self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.data_dir.parent, start_new_session=True)
        log.close()
        self._wait_ready(started)
        return self

    def _wait_ready(self, started: float) -> None:
        deadline = started + 60
        while time.perf_counter() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"nimbus exited with {self.proc.returncode}; see "
                                   f"{self.data_dir.parent}/nimbus-{self.port}.log")
            try:
                if http_status(self.port, "/identity/v3")[0] == 200:
                    self.ready_s = time.perf_counter() - started
                    return
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError("nimbus did not answer within 60 s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        # Workers and the resource tracker share the session we gave the server.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    @property
    def password(self) -> str:
        import yaml

        doc = yaml.safe_load((self.data_dir / "clouds.yaml").read_text())
        return str(doc["clouds"]["nimbus"]["auth"]["password"])

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/identity"


class BareStarlette(Nimbus):
    """bench/bare_app.py on the same workers and supervisor: the ceiling."""

    def command(self) -> list[str]:
        return [self.args.nimbus.split()[0], str(HERE / "bare_app.py"), str(self.port),
                str(self.workers or 1)]


@contextmanager
def running(args: argparse.Namespace, data_dir: Path, workers: int | None,
            source: str | None = None, kind: type[Nimbus] = Nimbus) -> Iterator[Nimbus]:
    server = kind(args, data_dir, workers, source)
    try:
        yield server.start()
    finally:
        server.stop()


# -- memory -------------------------------------------------------------------------------
def process_tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += frontier
    return tree


def _kib(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory(root: int) -> tuple[float, float, int]:
    """(RSS MiB, PSS MiB, processes) summed over the process tree."""
    pids = process_tree(root)
    rss = sum(_kib(Path(f"/proc/{p}/status"), "VmRSS:") for p in pids)
    pss = sum(_kib(Path(f"/proc/{p}/smaps_rollup"), "Pss:") for p in pids)
    return rss / 1024, pss / 1024, len(pids)


# -- CPU accounting -----------------------------------------------------------------------
@dataclass
class CpuSample:
    by_pid: dict[int, float]  # CPU seconds of each process of the server's tree
    busy: float  # CPU seconds the whole host was busy
    wall: float
    ours: float  # CPU seconds of this script and its finished children (wrk)


def cpu_sample(root: int) -> CpuSample:
    tick = os.sysconf("SC_CLK_TCK")
    by_pid = {}
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        by_pid[pid] = (int(fields[11]) + int(fields[12])) / tick
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])
    ours = sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))
    return CpuSample(by_pid, (user + nice + system + irq + softirq + steal) / tick,
                     time.perf_counter(), ours)


def cpu_note(before: CpuSample, after: CpuSample, requests: int) -> str:
    """Where the host's CPU went: the server's processes (busiest first, so an unfair
    spread of wrk's connections over the workers shows), per request, and the rest of
    the host (other programs; wrk and this script are left out)."""
    wall = after.wall - before.wall
    used = sorted((t - before.by_pid.get(pid, 0) for pid, t in after.by_pid.items()),
                  reverse=True)
    server = sum(used)
    spread = "+".join(f"{u / wall:.2f}" for u in used if u / wall >= 0.01) or "0"
    others = (after.busy - before.busy) - server - (after.ours - before.ours)
    return (f"server {spread} CPUs, {server / max(requests, 1) * 1000:.2f} ms CPU/req; "
            f"others {max(others, 0) / wall:.2f} CPUs")


# -- wrk ----------------------------------------------------------------------------------
def ensure_wrk(install: bool) -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if not install or os.geteuid() != 0:
        sys.exit("wrk is missing: apt-get install wrk (or run this as root to install it)")
    print("installing wrk with apt-get ...", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "env": {**os.environ,
                                                   "DEBIAN_FRONTEND": "noninteractive"}}
    subprocess.run(["apt-get", "update", "-qq"], check=True, **quiet)  # type: ignore[call-overload]
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, **quiet)  # type: ignore[call-overload]
    return shutil.which("wrk") or sys.exit("wrk did not install")


def niced(args: argparse.Namespace, cmd: list[str]) -> list[str]:
    return ["nice", "-n", str(args.nice), *cmd] if args.nice else cmd


def wrk_command(args: argparse.Namespace, url: str, connections: int, duration: float,
                headers: dict[str, str]) -> list[str]:
    cmd = [*niced(args, []), "wrk", f"-t{min(args.threads, connections)}", f"-c{connections}",
           f"-d{max(1, round(duration))}s", "--timeout", "20s", "-s", str(LUA)]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    return [*cmd, url]


def wrk_env(body: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["WRK_METHOD"] = "POST" if body else ""
    env["WRK_BODY"] = body or ""
    return env


def parse_wrk(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith("WRK_JSON "):
            found: dict[str, Any] = json.loads(line[len("WRK_JSON "):])
            found["rate"] = found["requests"] / (found["duration_us"] / 1e6)
            found["errors"] = sum(found[k] for k in ("connect_errors", "read_errors",
                                                     "write_errors", "status_errors",
                                                     "timeouts"))
            return found
    raise RuntimeError(f"wrk printed no summary:\n{output}")


def run_wrk(args: argparse.Namespace, url: str, connections: int, duration: float,
            headers: dict[str, str], body: str | None = None) -> dict[str, Any]:
    before = cpu_sample(args.server_pid)
    done = subprocess.run(wrk_command(args, url, connections, duration, headers),
                          env=wrk_env(body), capture_output=True, text=True, check=True)
    result = parse_wrk(done.stdout)
    after = cpu_sample(args.server_pid)
    result["cpu"] = cpu_note(before, after, result["requests"])
    result["server_cpu_per_req"] = (sum(after.by_pid.values()) - sum(
        before.by_pid.get(pid, 0) for pid in after.by_pid)) / max(result["requests"], 1)
    result["client_cpu_per_req"] = (after.ours - before.ours) / max(result["requests"], 1)
    return result


def cpu_bound_rate(runs: list[dict[str, Any]]) -> float:
    """Requests a second the host's CPUs would serve, server and wrk together, if nothing
    else ran: on a shared host the rate measured is what other programs leave over."""
    per_request = statistics.median(r["server_cpu_per_req"] + r["client_cpu_per_req"]
                                    for r in runs)
    return (os.cpu_count() or 1) / max(per_request, 1e-9)


def ms(us: float) -> str:
    return f"{us / 1000:.1f} ms" if us >= 10000 else f"{us / 1000:.2f} ms"


def errors_note(result: dict[str, Any]) -> str:
    errors = f"{result['errors']} ERRORS! " if result["errors"] else ""
    return errors + result.get("cpu", "")


# -- setup through the API ----------------------------------------------------------------
@dataclass
class Fixture:
    admin_token: str
    subject_token: str
    issue_body: str
    projects: int


def set_up(server: Nimbus, projects: int) -> Fixture:
    """Create projects up to ``projects`` visible ones and issue the tokens the loads use."""
    from keystoneauth1 import session
    from keystoneauth1.identity import v3
    from openstack import connection

    def admin_session() -> session.Session:
        auth = v3.Password(auth_url=server.auth_url, username="admin",
                           password=server.password, user_domain_name="Default",
                           project_name="admin", project_domain_name="Default")
        return session.Session(auth=auth)

    sess = admin_session()
    identity: Any = connection.Connection(session=sess, region_name="RegionOne").identity
    domain = identity.find_domain("Default", ignore_missing=False)
    for n in range(len(list(identity.projects())), projects):
        identity.create_project(name=f"bench-{n:02d}", domain_id=domain.id,
                                description="bench/identity.py")
    count = len(list(identity.projects()))
    body = json.dumps({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": server.password}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}})
    return Fixture(admin_token=str(sess.get_token()),
                   subject_token=str(admin_session().get_token()), issue_body=body,
                   projects=count)


def check_answer(server: Nimbus, path: str, expected: int, method: str = "GET",
                 body: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    hdrs = dict(headers or {})
    if body:
        hdrs["Content-Type"] = "application/json"
    status, _h, content = http_status(server.port, path, method, body, hdrs)
    if status != expected:
        raise RuntimeError(f"{method} {path} answered {status}, not {expected}: {content[:300]!r}")
    return content


# -- the figures --------------------------------------------------------------------------
class BcryptTimer(threading.Thread):
    """Times bcrypt checks at ``cost`` in-process, on the same 44-byte input Nimbus hashes
    and at the server's bcrypt niceness (10), while a load runs: both then see the same
    host. ``result()`` gives the median (wall, CPU) seconds of one check."""

    def __init__(self, cost: int, min_rounds: int = 3) -> None:
        super().__init__(daemon=True)
        self.cost, self.min_rounds = cost, min_rounds
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import base64
        import hashlib

        import bcrypt

        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except OSError:
            pass
        secret = base64.b64encode(hashlib.sha256(b"bench-password").digest())
        hashed = bcrypt.hashpw(secret, bcrypt.gensalt(rounds=self.cost))
        while len(self.walls) < self.min_rounds or not self.stopping.is_set():
            started, cpu = time.perf_counter(), time.thread_time()
            bcrypt.checkpw(secret, hashed)
            self.walls.append(time.perf_counter() - started)
            self.cpus.append(time.thread_time() - cpu)

    def result(self) -> tuple[float, float]:
        self.stopping.set()
        self.join()
        return statistics.median(self.walls), statistics.median(self.cpus)


def figure_startup(bench: Bench, workdir: Path) -> None:
    data_dir = workdir / "startup"
    limit = 3.0
    for run in ("first run", "second run"):
        with running(bench.args, data_dir, None) as server:
            ready = server.ready_s
            if run == "second run" and "memory" in bench.args.only:
                time.sleep(bench.args.settle)
                rss, pss, procs = tree_memory(server.proc.pid)  # type: ignore[union-attr]
                bench.add(Row("idle memory, RSS (PSS)", workers="1",
                              rate=f"{rss:.0f} MiB ({pss:.0f})", target="< 150 MB",
                              ok=rss * 1.048576 < 150, keystone=KEYSTONE["memory"],
                              note=f"{procs} processes"))
        bench.add(Row(f"nimbus up ready, {run}", workers="1", rate=f"{ready:.2f} s",
                      target=f"< {limit:.0f} s", ok=ready < limit))


def figure_issue(bench: Bench, server: Nimbus, fx: Fixture, url: str, workers: str) -> None:
    args = bench.args
    timer = BcryptTimer(args.bcrypt_cost)
    timer.start()
    one = run_wrk(args, url, 1, args.duration, {}, fx.issue_body)
    bcrypt_s, bcrypt_cpu = timer.result()
    bench.add(Row(f"bcrypt check, cost {args.bcrypt_cost} (in-process)", clients="1",
                  p50=f"{bcrypt_s * 1000:.0f} ms", keystone="≈ 230 ms",
                  note=f"{bcrypt_cpu * 1000:.0f} ms CPU; timed at nice 10 alongside the "
                       f"next figure, {len(timer.walls)} checks"))
    overhead = one["p50_us"] / 1000 - bcrypt_s * 1000
    # CPU time is what a busy host disturbs least: the server's CPU per token, less bcrypt's.
    cpu_overhead = (one["server_cpu_per_req"] - bcrypt_cpu) * 1000
    bench.add(Row("token issue", clients="1", workers=workers, p50=ms(one["p50_us"]),
                  p99=ms(one["p99_us"]), rate=f"{one['rate']:.1f}/s",
                  target="bcrypt + < 5 ms", ok=overhead < 5 and not one["errors"],
                  keystone=KEYSTONE["issue-1"],
                  note=f"p50 - bcrypt = {overhead:.1f} ms; server CPU/token - bcrypt CPU = "
                       f"{cpu_overhead:.1f} ms; {errors_note(one)}"))
    many = run_wrk(args, url, args.connections, args.duration, {}, fx.issue_body)
    bench.add(Row("token issue", clients=str(args.connections), workers=workers,
                  p50=ms(many["p50_us"]), p99=ms(many["p99_us"]),
                  rate=f"{many['rate']:.1f}/s", target="≥ 8/s",
                  ok=many["rate"] >= 8 and not many["errors"], keystone=KEYSTONE["issue-8"],
                  note=f"bcrypt-bound ceiling {(os.cpu_count() or 1) / bcrypt_cpu:.1f}/s "
                       f"(CPUs / bcrypt CPU); {errors_note(many)}"))


@dataclass
class LoadTarget:
    """One server a load figure runs against, side by side with the others."""

    label: str
    server: Nimbus
    url: str
    headers: dict[str, str]


def load_rows(bench: Bench, name: str, targets: list[LoadTarget], target: float,
              keystone: str, workers: str) -> None:
    """``args.repeat`` runs a target, taking turns, so that every server sees the same
    host; each row shows the medians of its runs."""
    args = bench.args
    runs: dict[str, list[dict[str, Any]]] = {t.label: [] for t in targets}
    for t in targets:
        if args.warmup:
            args.server_pid = t.server.proc.pid  # type: ignore[union-attr]
            run_wrk(args, t.url, args.connections, args.warmup, t.headers)
    for _ in range(args.repeat):
        for t in targets:
            args.server_pid = t.server.proc.pid  # type: ignore[union-attr]
            runs[t.label].append(run_wrk(args, t.url, args.connections, args.duration,
                                         t.headers))
    for t in targets:
        done = runs[t.label]
        rate = statistics.median(r["rate"] for r in done)
        middle = sorted(done, key=lambda r: float(r["rate"]))[len(done) // 2]
        errors = sum(r["errors"] for r in done)
        ceiling = t.label.startswith("bare")
        bench.add(Row(f"{name} {t.label}".strip() if not ceiling else t.label,
                      clients=str(args.connections), workers=workers,
                      p50=ms(statistics.median(r["p50_us"] for r in done)),
                      p99=ms(statistics.median(r["p99_us"] for r in done)),
                      rate=f"{rate:.0f}/s", target="" if ceiling else f"≥ {target:,.0f}/s",
                      ok=None if ceiling else rate >= target and not errors,
                      keystone="" if ceiling else keystone,
                      note=f"CPU-bound ≈ {cpu_bound_rate(done):,.0f}/s; "
                           f"{runs_note(done, 'rate', '/s')}"
                           f"{'ERRORS! ' if errors else ''}{middle.get('cpu', '')}"))


def runs_note(runs: list[dict[str, Any]], key: str, unit: str, scale: float = 1) -> str:
    if len(runs) == 1:
        return ""
    values = "/".join(f"{r[key] * scale:.0f}" for r in runs)
    return f"median of {len(runs)} ({values} {unit}); "


def figure_storm(bench: Bench, server: Nimbus, fx: Fixture, validate_url: str,
                 issue_url: str, headers: dict[str, str], workers: str) -> None:
    """Validation latency while ``connections`` clients issue tokens without pause."""
    args = bench.args
    runs = [storm_once(args, fx, validate_url, issue_url, headers) for _ in range(args.repeat)]
    result = sorted(runs, key=lambda r: float(r["p99_us"]))[len(runs) // 2]
    bench.add(Row("token validate during issue storm", clients=f"{args.connections}+"
                  f"{args.connections}", workers=workers, p50=ms(result["p50_us"]),
                  p99=ms(result["p99_us"]), rate=f"{result['rate']:.0f}/s",
                  target="p99 < 20 ms",
                  ok=result["p99_us"] < 20000 and not result["errors"],
                  note=f"issue storm {result['issued']:.1f}/s; "
                       f"{runs_note(runs, 'p99_us', 'ms p99', 1e-3)}{errors_note(result)}"))


def storm_once(args: argparse.Namespace, fx: Fixture, validate_url: str, issue_url: str,
               headers: dict[str, str]) -> dict[str, Any]:
    storm_s = args.duration + 2
    before = cpu_sample(args.server_pid)
    storm = subprocess.Popen(wrk_command(args, issue_url, args.connections, storm_s, {}),
                             env=wrk_env(fx.issue_body), stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        result = run_wrk(args, validate_url, args.connections, args.duration, headers)
    finally:
        out, _ = storm.communicate(timeout=storm_s + 60)
    issued = parse_wrk(out)
    result["issued"] = issued["rate"]
    result["errors"] += issued["errors"]
    result["cpu"] = cpu_note(before, cpu_sample(args.server_pid),
                             result["requests"] + issued["requests"])
    return result


def source_label(source: str | None) -> str:
    return "" if source is None else f"[{Path(source).name or source}]"


def figures_under_load(bench: Bench, workdir: Path) -> None:
    args = bench.args
    workers = str(args.workers)
    sources: list[str | None] = [None, *args.compare]
    with ExitStack() as stack:
        servers = [stack.enter_context(running(args, workdir / f"load{n}", args.workers,
                                               source))
                   for n, source in enumerate(sources)]
        server = servers[0]
        args.server_pid = server.proc.pid  # type: ignore[union-attr]
        if "memory" in args.only:
            time.sleep(args.settle)
            rss, pss, procs = tree_memory(server.proc.pid)  # type: ignore[union-attr]
            bench.add(Row("idle memory, RSS (PSS)", workers=workers,
                          rate=f"{rss:.0f} MiB ({pss:.0f})", keystone=KEYSTONE["memory"],
                          note=f"{procs} processes"))
        fixtures = [set_up(s, args.projects) for s in servers]
        fx = fixtures[0]
        for s, f in zip(servers, fixtures, strict=True):
            check_server(s, f)
        base = f"http://127.0.0.1:{server.port}/identity/v3"
        validate_headers = {"X-Auth-Token": fx.admin_token, "X-Subject-Token": fx.subject_token}
        if "issue" in args.only:
            figure_issue(bench, server, fx, f"{base}/auth/tokens", workers)

        def targets(path: str, subject: bool) -> list[LoadTarget]:
            return [LoadTarget(source_label(src), s, f"{url_of(s)}{path}",
                               {"X-Auth-Token": f.admin_token,
                                **({"X-Subject-Token": f.subject_token} if subject else {})})
                    for src, s, f in zip(sources, servers, fixtures, strict=True)]

        if "validate" in args.only:
            validate = targets("/auth/tokens", True)
            if args.ceiling:
                bare = stack.enter_context(running(args, workdir / "bare", args.workers,
                                                   kind=BareStarlette))
                validate.append(LoadTarget("bare Starlette, same workers (ceiling)", bare,
                                           f"{url_of(bare)}/auth/tokens", {}))
            load_rows(bench, "token validate", validate, 8000, KEYSTONE["validate"], workers)
        if "projects" in args.only:
            load_rows(bench, f"project list ({fx.projects} projects)",
                      targets("/projects", False), 3000, KEYSTONE["projects"], workers)
        args.server_pid = server.proc.pid  # type: ignore[union-attr]
        if "storm" in args.only:
            figure_storm(bench, server, fx, f"{base}/auth/tokens", f"{base}/auth/tokens",
                         validate_headers, workers)
        if "memory" in args.only:
            rss, pss, procs = tree_memory(server.proc.pid)  # type: ignore[union-attr]
            bench.add(Row("memory after the loads, RSS (PSS)", workers=workers,
                          rate=f"{rss:.0f} MiB ({pss:.0f})", note=f"{procs} processes"))


def url_of(server: Nimbus) -> str:
    return f"http://127.0.0.1:{server.port}/identity/v3"


def check_server(server: Nimbus, fx: Fixture) -> None:
    """Each load answers as it should before it is timed."""
    check_answer(server, "/identity/v3/auth/tokens", 200,
                 headers={"X-Auth-Token": fx.admin_token, "X-Subject-Token": fx.subject_token})
    check_answer(server, "/identity/v3/projects", 200, headers={"X-Auth-Token": fx.admin_token})
    check_answer(server, "/identity/v3/auth/tokens", 201, "POST", fx.issue_body)


# -- output -------------------------------------------------------------------------------
def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "MISS")


def print_columns(head: tuple[str, ...], lines: list[tuple[Any, ...]]) -> None:
    """A plain-text table: the head, a rule, then one line a row, columns padded."""
    widths = [max(len(str(c)) for c in col) for col in zip(head, *lines, strict=False)]
    for i, line in enumerate([head, *lines]):
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def print_table(bench: Bench) -> None:
    head = ("figure", "clients", "workers", "p50", "p99", "ops/s | value", "target", "ok",
            "Keystone", "note")
    print_columns(head, [(r.figure, r.clients, r.workers, r.p50, r.p99, r.rate, r.target,
                          verdict(r.ok), r.keystone, r.note) for r in bench.rows])


def add_common_arguments(p: argparse.ArgumentParser, figures: tuple[str, ...]) -> None:
    """The options every bench script takes: the server command, figures, wrk, temp dir."""
    p.add_argument("--nimbus", default=f"{sys.executable} -m nimbus.cli",
                   help="command that runs the nimbus CLI")
    p.add_argument("--only", default=",".join(figures), help=",".join(figures))
    p.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")


def parse_with_figures(p: argparse.ArgumentParser, figures: tuple[str, ...],
                       argv: list[str] | None) -> argparse.Namespace:
    """Parse; ``args.only`` becomes the set of figures asked for."""
    args = p.parse_args(argv)
    args.only = set(args.only.split(","))
    unknown = args.only - set(figures)
    if unknown:
        p.error(f"unknown figures: {', '.join(sorted(unknown))}")
    return args


def describe(args: argparse.Namespace) -> None:
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    print(f"host: {os.cpu_count()} CPUs ({platform.machine()}), Python "
          f"{platform.python_version()}, {wrk_version.splitlines()[0] if wrk_version else 'wrk'}"
          f"\nload: wrk -t{args.threads} -c{args.connections}, {args.duration:g} s per figure "
          f"{f'(median of {args.repeat}) ' if args.repeat > 1 else ''}"
          f"(+{args.warmup:g} s warm-up), same host as the server"
          f"{f', both at nice {args.nice}' if args.nice else ''}; bcrypt cost "
          f"{args.bcrypt_cost}; server: {args.nimbus} (source {nimbus_source(args)})\n",
          flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10, help="seconds per load figure")
    p.add_argument("--warmup", type=float, default=2, help="seconds of untimed load first")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs of each validate/list/storm figure; the median is shown")
    p.add_argument("--compare", action="append", default=[], metavar="SOURCE",
                   help="another source tree to load side by side (taking turns) in the "
                        "validate and list figures; repeatable")
    p.add_argument("--no-ceiling", dest="ceiling", action="store_false",
                   help="skip the bare Starlette row beside token validate")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument("--workers", type=int, default=2, help="API workers for the load figures")
    p.add_argument("--bcrypt-cost", type=int, default=12)
    p.add_argument("--projects", type=int, default=20)
    p.add_argument("--settle", type=float, default=2, help="seconds idle before memory")
    p.add_argument("--nice", type=int, default=0,
                   help="niceness for the server and wrk (e.g. -5 on a busy shared host; "
                        "the bcrypt threads still set their own, 10)")
    add_common_arguments(p, FIGURES)
    return parse_with_figures(p, FIGURES, argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.only & {"issue", "validate", "projects", "storm"}:
        ensure_wrk(not args.no_install)
        describe(args)
    bench = Bench(args)
    workdir = Path(tempfile.mkdtemp(prefix="nimbus-bench-"))
    try:
        if args.only & {"startup", "memory"}:
            figure_startup(bench, workdir)
        if args.only & {"issue", "validate", "projects", "storm", "memory"}:
            figures_under_load(bench, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_table(bench)


if __name__ == "__main__":
    main()
