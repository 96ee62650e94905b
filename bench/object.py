"""Object store benchmarks: PUT and GET of 4 KiB and 1 MiB objects with 8 concurrent clients,
and the listing of a 10,000-object container (p50 at one client, rate at 8), against a
`nimbus up` with 2 workers; plus dd's write rate on the same disk for the 1 MiB figures.
Prints one table; never part of the test run.

    python bench/object.py                       # every figure, 5 s each
    python bench/object.py --only put4k,get4k --duration 3

Clients are processes (one keep-alive connection each, http.client), so the client side is
not one GIL. The token is issued once with keystoneauth1. Everything it started is stopped
and its temp dir removed (--keep keeps it).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity import running  # noqa: E402

FIGURES = ("put4k", "get4k", "put1m", "get1m", "list10k")
# Real Swift 2.38 on this machine, 1 replica, 8 clients (issue 10).
SWIFT = {"put4k": "172/s", "get4k": "288/s", "put1m": "118/s", "get1m": "156/s",
         "list10k": "p50 213 ms, 6.2/s at 8"}


def _client(job: tuple[str, str, str, str, bytes, float, int]) -> tuple[int, list[float]]:
    """One client process: the same request for ``duration`` seconds; (count, latencies)."""
    netloc, path, method, token, body, duration, index = job
    conn = http.client.HTTPConnection(netloc, timeout=60)
    latencies: list[float] = []
    end = time.monotonic() + duration
    n = 0
    while time.monotonic() < end:
        target = path.replace("{n}", f"{index}-{n}")
        started = time.perf_counter()
        conn.request(method, target, body=body if method == "PUT" else None,
                     headers={"X-Auth-Token": token})
        resp = conn.getresponse()
        resp.read()
        if resp.status >= 300:
            raise RuntimeError(f"{method} {target}: {resp.status}")
        latencies.append(time.perf_counter() - started)
        n += 1
    conn.close()
    return n, latencies


def load(url: str, path: str, method: str, token: str, body: bytes, clients: int,
         duration: float) -> dict[str, float]:
    netloc = urlsplit(url).netloc
    jobs = [(netloc, path, method, token, body, duration, i) for i in range(clients)]
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(_client, jobs)
    count = sum(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[1])
    return {"rate": count / duration, "p50_ms": statistics.median(latencies) * 1000,
            "count": count}


def token_and_url(server: Any) -> tuple[str, str]:
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = v3.Password(auth_url=server.auth_url, username="admin", password=server.password,
                       user_domain_id="default", project_name="admin",
                       project_domain_id="default")
    sess = session.Session(auth=auth)
    url = sess.get_endpoint(service_type="object-store", interface="public")
    return str(sess.get_token()), str(url)


def request(url: str, method: str, token: str, body: bytes = b"") -> int:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=60)
    conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                 headers={"X-Auth-Token": token})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


def fill(url: str, token: str, container: str, count: int) -> None:
    """``count`` small objects, put by 8 processes."""
    netloc = urlsplit(url).netloc
    base = urlsplit(url).path
    per = count // 8
    jobs = [(netloc, f"{base}/{container}", i * per, per, token) for i in range(8)]
    with multiprocessing.get_context("fork").Pool(8) as pool:
        pool.map(_fill_part, jobs)


def _fill_part(job: tuple[str, str, int, int, str]) -> None:
    netloc, path, start, count, token = job
    conn = http.client.HTTPConnection(netloc, timeout=60)
    for i in range(start, start + count):
        conn.request("PUT", f"{path}/obj-{i:06d}", body=b"x", headers={"X-Auth-Token": token})
        resp = conn.getresponse()
        resp.read()
    conn.close()


def dd_write_rate(directory: Path) -> float:
    """MB/s of dd writing 256 MiB with fdatasync into ``directory``."""
    target = directory / "dd.bin"
    done = subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", "count=256",
                           "conv=fdatasync"], capture_output=True, text=True)
    target.unlink(missing_ok=True)
    for line in done.stderr.splitlines():
        if "copied" in line:
            value, unit = line.rsplit(",", 1)[1].split()[:2]
            return float(value) * {"GB/s": 1000, "MB/s": 1, "kB/s": 0.001}.get(unit, 1)
    return 0.0


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nimbus", default=f"{sys.executable} -m nimbus.cli")
    p.add_argument("--only", default=",".join(FIGURES))
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--objects", type=int, default=10000)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    args.bcrypt_cost, args.nice = 4, 0
    only = set(args.only.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="nimbus-bench-object-"))
    rows: list[tuple[str, str, str]] = []
    try:
        with running(args, workdir / "data", args.workers) as server:
            token, url = token_and_url(server)
            run_figures(args, only, url, token, rows, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{'figure':<10} {'nimbus':<44} swift 2.38 (issue 10)")
    for name, value, note in rows:
        print(f"{name:<10} {value:<44} {SWIFT.get(name, '')} {note}")


def run_figures(args: argparse.Namespace, only: set[str], url: str, token: str,
                rows: list[tuple[str, str, str]], workdir: Path) -> None:
    base = urlsplit(url).path
    request(f"{url}/bench", "PUT", token)
    for size, tag in ((4096, "4k"), (1 << 20, "1m")):
        body = os.urandom(size)
        if f"put{tag}" in only:
            r = load(url, f"{base}/bench/{tag}-{{n}}", "PUT", token, body, args.clients,
                     args.duration)
            mbs = r["rate"] * size / 1e6
            rows.append((f"put{tag}", f"{r['rate']:.0f}/s ({mbs:.0f} MB/s), p50 "
                         f"{r['p50_ms']:.1f} ms", ""))
        request(f"{url}/bench/one-{tag}", "PUT", token, body)
        if f"get{tag}" in only:
            r = load(url, f"{base}/bench/one-{tag}", "GET", token, b"", args.clients,
                     args.duration)
            mbs = r["rate"] * size / 1e6
            rows.append((f"get{tag}", f"{r['rate']:.0f}/s ({mbs:.0f} MB/s), p50 "
                         f"{r['p50_ms']:.1f} ms", ""))
    if "put1m" in only:
        rows.append(("dd", f"{dd_write_rate(workdir):.0f} MB/s (1 MiB blocks, fdatasync)", ""))
    if "list10k" in only:
        request(f"{url}/big", "PUT", token)
        fill(url, token, "big", args.objects)
        one = load(url, f"{base}/big?format=json", "GET", token, b"", 1, args.duration)
        many = load(url, f"{base}/big?format=json", "GET", token, b"", args.clients,
                    args.duration)
        rows.append(("list10k", f"p50 {one['p50_ms']:.1f} ms at 1, {many['rate']:.1f}/s at "
                     f"{args.clients}", f"({args.objects} objects)"))


if __name__ == "__main__":
    main()
