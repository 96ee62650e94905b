"""Placement benchmark: GET /allocation_candidates and claims (PUT /allocations) against
100 resource providers. Prints p50/p99 per call; never part of the test run.

    python bench/placement.py                 # 300 calls of each
    python bench/placement.py --calls 100 --workers 2

The providers: 70 compute nodes with VCPU/MEMORY_MB/DISK_GB, and 10 nodes with
MEMORY_MB/DISK_GB whose VCPU sits on two NUMA children each (100 providers); half carry
HW_CPU_X86_AVX2, every fifth CUSTOM_GOLD, a third are in one aggregate. It runs on its own
`nimbus up` (temp data dir, free loopback port), one client, an admin token from
keystoneauth1. Each claim takes the first candidate of a fresh candidates call's answer
that it has not used yet, so claims fill the cloud as a scheduler would.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

MICROVERSION = {"OpenStack-API-Version": "placement 1.39"}
AGGREGATE = str(uuid.uuid4())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "NIMBUS_BCRYPT_COST": "4", "NIMBUS_LOG_LEVEL": "warning",
           "NIMBUS_NETWORK__DRIVER": "off"}
    log = open(data_dir.parent / "nimbus.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "nimbus.cli", "up", "--data-dir",
                             str(data_dir), "--port", str(port), "--workers", str(workers)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/identity/v3", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("nimbus up did not answer within 90 s")


def admin_token(data_dir: Path) -> str:
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = yaml.safe_load((data_dir / "clouds.yaml").read_text())["clouds"]["nimbus"]["auth"]
    return str(session.Session(auth=v3.Password(**{k: auth[k] for k in (
        "auth_url", "username", "password", "project_name", "user_domain_name",
        "project_domain_name")})).get_token())


class Placement:
    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(base_url=f"{url}/placement", timeout=30,
                                 headers={"X-Auth-Token": token, **MICROVERSION})

    def call(self, method: str, path: str, body: Any = None, want: int = 200) -> Any:
        answer = self.http.request(method, path, json=body)
        if answer.status_code != want:
            raise SystemExit(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None

    def provider(self, name: str, inventory: dict[str, int], parent: str | None = None,
                 traits: list[str] | None = None, aggregate: bool = False) -> str:
        rp = self.call("POST", "/resource_providers",
                       {"name": name, "parent_provider_uuid": parent})
        uuid_, gen = rp["uuid"], rp["generation"]
        if inventory:
            gen = self.call("PUT", f"/resource_providers/{uuid_}/inventories", {
                "resource_provider_generation": gen,
                "inventories": {rc: {"total": n} for rc, n in inventory.items()}})[
                "resource_provider_generation"]
        if traits:
            gen = self.call("PUT", f"/resource_providers/{uuid_}/traits", {
                "resource_provider_generation": gen, "traits": traits})[
                "resource_provider_generation"]
        if aggregate:
            self.call("PUT", f"/resource_providers/{uuid_}/aggregates", {
                "resource_provider_generation": gen, "aggregates": [AGGREGATE]})
        return str(uuid_)


def populate(p: Placement) -> int:
    p.call("PUT", "/traits/CUSTOM_GOLD", want=201)
    made = 0
    for n in range(80):
        traits = (["HW_CPU_X86_AVX2"] if n % 2 == 0 else []) + \
            (["CUSTOM_GOLD"] if n % 5 == 0 else [])
        nested = n >= 70
        inventory = {"MEMORY_MB": 65536, "DISK_GB": 2000}
        if not nested:
            inventory["VCPU"] = 64
        root = p.provider(f"cn{n}", inventory, traits=traits, aggregate=n % 3 == 0)
        made += 1
        if nested:
            for numa in range(2):
                p.provider(f"cn{n}-numa{numa}", {"VCPU": 32}, parent=root)
                made += 1
    return made


def timed(calls: int, fn: Callable[[int], None]) -> list[float]:
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{name:<52} {len(samples):>6} {statistics.median(ordered):>9.2f} "
            f"{p99:>9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-placement-") as tmp:
        data = Path(tmp) / "data"
        proc, url = start(data, args.workers)
        try:
            run(Placement(url, admin_token(data)), args.calls)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def run(p: Placement, calls: int) -> None:
    providers = populate(p)
    query = "/allocation_candidates?resources=VCPU:1,MEMORY_MB:512,DISK_GB:10&limit=1000"
    rows = []
    found = p.call("GET", query)
    rows.append(row(f"GET candidates ({len(found['allocation_requests'])} answers)",
                    timed(calls, lambda _i: p.call("GET", query))))
    traits = f"{query}&required=HW_CPU_X86_AVX2,!CUSTOM_GOLD&member_of=in:{AGGREGATE}"
    rows.append(row("GET candidates, required/forbidden/member_of",
                    timed(calls, lambda _i: p.call("GET", traits))))
    granular = ("/allocation_candidates?resources=MEMORY_MB:512&resources1=VCPU:2"
                "&resources2=VCPU:2&group_policy=isolate&limit=1000")
    rows.append(row("GET candidates, two isolated granular groups",
                    timed(calls, lambda _i: p.call("GET", granular))))

    def claim(i: int) -> None:
        pick = found["allocation_requests"][i % len(found["allocation_requests"])]
        p.call("PUT", f"/allocations/{uuid.uuid4()}", {
            "allocations": pick["allocations"], "project_id": "bench", "user_id": "bench",
            "consumer_generation": None, "consumer_type": "INSTANCE"}, want=204)

    rows.append(row("PUT /allocations (a claim)", timed(calls, claim)))
    print(f"{providers} resource providers; times in ms")
    print(f"{'call':<52} {'n':>6} {'p50':>9} {'p99':>9}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
