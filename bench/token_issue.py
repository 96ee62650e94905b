"""Token issue at one client, with bcrypt timed apart from the server: the overhead Nimbus
adds on top of the password hash (the issue's "bcrypt time + < 5 ms").

For each bcrypt cost (12 as in production, 4 where the hash is ~1 ms and the overhead
stands out), it times bcrypt.checkpw in this process while the server is idle, then N
sequential POST /v3/auth/tokens against one worker, and prints the p50s and their
difference. Loopback only; the server it starts is stopped at the end.

    python bench/token_issue.py [--issues 60]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bcrypt

sys.path.insert(0, str(Path(__file__).parent))
from identity import parse_args as bench_args  # noqa: E402
from identity import running, set_up  # noqa: E402


def bcrypt_p50(cost: int, rounds: int) -> float:
    stored = bcrypt.hashpw(b"x" * 44, bcrypt.gensalt(rounds=cost))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        bcrypt.checkpw(b"x" * 44, stored)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def issue_p50(port: int, body: str, rounds: int) -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        conn.request("POST", "/identity/v3/auth/tokens", body=body,
                     headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 201:
            raise RuntimeError(f"token issue answered {answer.status}")
        times.append(time.perf_counter() - start)
    conn.close()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def measure(cost: int, issues: int) -> None:
    args = bench_args(["--bcrypt-cost", str(cost)])
    with tempfile.TemporaryDirectory(prefix="nimbus-issue-") as tmp, \
            running(args, Path(tmp) / "data", None) as server:
        fixture = set_up(server, 1)
        issue_p50(server.port, fixture.issue_body, 5)  # warm the caches and the connection
        hash_p50 = bcrypt_p50(cost, max(issues // 2, 10))
        p50, p99 = issue_p50(server.port, fixture.issue_body, issues)
    print(f"bcrypt cost {cost:>2}: bcrypt p50 {hash_p50 * 1000:8.2f} ms | token issue "
          f"(1 client, 1 worker) p50 {p50 * 1000:8.2f} ms p99 {p99 * 1000:8.2f} ms | "
          f"overhead p50 {(p50 - hash_p50) * 1000:6.2f} ms (target < 5 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=60)
    options = parser.parse_args()
    for cost in (12, 4):
        measure(cost, options.issues if cost == 12 else options.issues * 5)


if __name__ == "__main__":
    main()
