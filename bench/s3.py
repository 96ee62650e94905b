"""The S3 path beside the Swift path: PUT and GET of 4 KiB and 1 MiB objects with 8
concurrent clients against a `nimbus up` with 2 workers, Swift (X-Auth-Token) then S3
(Signature V4 with botocore's signer, the payload's SHA-256 signed as boto3 does over http,
checked by the server as it streams). Prints one table; never part of the test run.

    python bench/s3.py                    # every figure, 5 s each
    python bench/s3.py --only put4k,get4k --duration 3

Clients are processes with one keep-alive connection each (http.client); the EC2 keys are
made once with keystoneauth1 (OS-EC2). Everything it started is stopped and its temp dir
removed (--keep keeps it).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity import running  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_object",
                                               Path(__file__).resolve().parent / "object.py")
assert _spec and _spec.loader
bench_object = importlib.util.module_from_spec(_spec)
sys.modules["bench_object"] = bench_object  # (its client function is pickled by name)
_spec.loader.exec_module(bench_object)

FIGURES = ("put4k", "get4k", "put1m", "get1m")


def _signed(url: str, method: str, keys: tuple[str, str], body: bytes) -> dict[str, str]:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method, url, data=body if method == "PUT" else None)
    S3SigV4Auth(Credentials(*keys), "s3", "RegionOne").add_auth(request)
    return dict(request.headers.items())


def _client(job: tuple[str, str, str, tuple[str, str], bytes, float, int, float]
            ) -> tuple[int, list[float]]:
    """One client process. The requests are signed before the clock starts (a GET's
    signature serves every repeat; each PUT has its own name), so the figures are the
    server's, not botocore's signer's."""
    base, path, method, keys, body, duration, index, start_at = job
    netloc = urlsplit(base).netloc
    count = 1 if method == "GET" else int(duration * (60 if len(body) > 65536 else 300))
    signed = [(path.replace("{n}", f"{index}-{n}"),) for n in range(count)]
    prepared = [(t[0], _signed(f"http://{netloc}{t[0]}", method, keys, body)) for t in signed]
    conn = http.client.HTTPConnection(netloc, timeout=60)
    latencies: list[float] = []
    time.sleep(max(0.0, start_at - time.time()))  # every client starts together
    end = time.monotonic() + duration
    n = 0
    while time.monotonic() < end and (method == "GET" or n < len(prepared)):
        target, headers = prepared[n % len(prepared)]
        started = time.perf_counter()
        conn.request(method, target, body=body if method == "PUT" else None, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status >= 300:
            raise RuntimeError(f"{method} {target}: {resp.status}")
        latencies.append(time.perf_counter() - started)
        n += 1
    conn.close()
    return n, latencies


def load_s3(url: str, path: str, method: str, keys: tuple[str, str], body: bytes,
            clients: int, duration: float) -> dict[str, float]:
    # Time enough for every client to sign its requests (2 cores shared by 8 processes).
    start_at = time.time() + (1.0 if method == "GET" else 2.0 + duration * clients * 0.2)
    jobs = [(url, path, method, keys, body, duration, i, start_at) for i in range(clients)]
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(_client, jobs)
    count = sum(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[1])
    return {"rate": count / duration, "p50_ms": statistics.median(latencies) * 1000}


def ec2_keys(server: Any) -> tuple[str, str]:
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = v3.Password(auth_url=server.auth_url, username="admin", password=server.password,
                       user_domain_id="default", project_name="admin",
                       project_domain_id="default")
    sess = session.Session(auth=auth)
    made = sess.post(f"{server.auth_url}/v3/users/{sess.get_user_id()}/credentials/OS-EC2",
                     json={"tenant_id": sess.get_project_id()}).json()["credential"]
    return made["access"], made["secret"]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nimbus", default=f"{sys.executable} -m nimbus.cli")
    p.add_argument("--only", default=",".join(FIGURES))
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    args.bcrypt_cost, args.nice = 4, 0
    only = set(args.only.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="nimbus-bench-s3-"))
    rows: list[tuple[str, str, str, str]] = []
    try:
        with running(args, workdir / "data", args.workers) as server:
            token, swift_url = bench_object.token_and_url(server)
            keys = ec2_keys(server)
            s3_url = urlsplit(swift_url)._replace(path="/s3").geturl()
            run_figures(args, only, swift_url, token, s3_url, keys, rows)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{'figure':<8} {'swift':<30} {'s3':<30} s3/swift")
    for row in rows:
        print(f"{row[0]:<8} {row[1]:<30} {row[2]:<30} {row[3]}")


def _fmt(r: dict[str, float]) -> str:
    return f"{r['rate']:.0f}/s, p50 {r['p50_ms']:.1f} ms"


def run_figures(args: argparse.Namespace, only: set[str], swift_url: str, token: str,
                s3_url: str, keys: tuple[str, str], rows: list[tuple[str, str, str, str]]
                ) -> None:
    base = urlsplit(swift_url).path
    bench_object.request(f"{swift_url}/bench", "PUT", token)  # the bucket "bench" too
    for size, tag in ((4096, "4k"), (1 << 20, "1m")):
        body = os.urandom(size)
        bench_object.request(f"{swift_url}/bench/one-{tag}", "PUT", token, body)
        for op in ("put", "get"):
            if f"{op}{tag}" not in only:
                continue
            method = op.upper()
            name = f"{op}-{tag}-{{n}}" if op == "put" else f"one-{tag}"
            swift = bench_object.load(swift_url, f"{base}/bench/{name}", method, token, body,
                                      args.clients, args.duration)
            s3 = load_s3(s3_url, f"/s3/bench/{name}", method, keys, body, args.clients,
                         args.duration)
            rows.append((f"{op}{tag}", _fmt(swift), _fmt(s3),
                         f"{s3['rate'] / swift['rate'] * 100:.0f} %"))


if __name__ == "__main__":
    main()
