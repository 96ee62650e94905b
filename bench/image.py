"""Image benchmarks: a 1 GiB image up and down through the API against what `dd` reaches on
the same disk, the server's memory growth meanwhile, and image-list latency with 1,000
images. Prints one table; never part of the test run.

    python bench/image.py                        # every figure
    python bench/image.py --only list --images 1000 --duration 5

It starts its own `nimbus up` (temp data dir, free loopback port) and keeps the test data in
the same temp dir, so dd and the image store share a filesystem. Data moves with
keystoneauth1 (chunked upload from a generator, streamed download); the images of the list
figure are made through the API with openstacksdk. Page cache is dropped before each read
when running as root; otherwise dd reads with iflag=direct. Each transfer follows a dd run
of its own; the figure is the median transfer rate over the median dd rate, from --repeat
pairs (disks here vary from minute to minute). The server's RSS is sampled every 50 ms.
Everything it started is stopped and its temp dir removed. Set PYTHONPATH to bench another
source tree.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from identity import (
    CpuSample,
    Nimbus,
    add_common_arguments,
    cpu_sample,
    ensure_wrk,
    ms,
    nimbus_source,
    parse_with_figures,
    print_columns,
    process_tree,
    run_wrk,
    running,
    verdict,
)

MIB = 1 << 20
FIGURES = ("upload", "download", "list")
THROUGHPUT_TARGET = 0.70
RSS_TARGET_MIB = 64
LIST_P50_TARGET_MS = 20


@dataclass
class Row:
    figure: str
    value: str = ""
    reference: str = ""
    ratio: str = ""
    rss: str = ""
    target: str = ""
    ok: bool | None = None
    note: str = ""


@dataclass
class Bench:
    args: argparse.Namespace
    workdir: Path
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.figure}: {row.value} {row.ratio} {row.rss} {row.note}".rstrip(),
              flush=True)


# -- the disk -----------------------------------------------------------------------------
def make_source(path: Path, size: int) -> str:
    """``size`` bytes of random data (raw: any bytes are a valid raw image); its md5."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "wb") as out:
        for _ in range(size // MIB):
            block = os.urandom(MIB)
            md5.update(block)
            out.write(block)
    return md5.hexdigest()


def drop_caches() -> bool:
    """Empty the page cache (root only), so the next read comes from the disk."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def dd(*operands: str) -> float:
    """Bytes per second dd reports for one copy."""
    os.sync()
    started = time.perf_counter()
    subprocess.run(["dd", "bs=1M", *operands], check=True, capture_output=True)
    return os.stat(operands[0][3:]).st_size / (time.perf_counter() - started)


def dd_write(source: Path, target: Path) -> tuple[float, float]:
    """(conv=fdatasync, oflag=direct) write rates of ``source`` to a file beside ``target``."""
    rates = []
    for flag in ("conv=fdatasync", "oflag=direct"):
        rates.append(dd(f"if={source}", f"of={target}", flag))
        target.unlink()
    return rates[0], rates[1]


def dd_read(path: Path) -> tuple[float, str]:
    """Read rate of ``path`` from the disk, and how the cache was kept out of it."""
    if drop_caches():
        return dd(f"if={path}", "of=/dev/null"), "page cache dropped"
    return dd(f"if={path}", "of=/dev/null", "iflag=direct"), "iflag=direct"


# -- the server's memory ------------------------------------------------------------------
class RssSampler(threading.Thread):
    """Sums VmRSS over the server's process tree every ``period`` s; ``growth()`` is the
    peak while running less the figure just before it started, in MiB."""

    def __init__(self, root: int, period: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pids = process_tree(root)
        self.period = period
        self.stopping = threading.Event()
        self.baseline = self.sample()
        self.peak = self.baseline
        self.samples = 0

    def sample(self) -> float:
        total = 0
        for pid in self.pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def run(self) -> None:
        while not self.stopping.wait(self.period):
            self.peak = max(self.peak, self.sample())
            self.samples += 1

    def growth(self) -> float:
        self.stopping.set()
        self.join()
        return max(self.peak, self.sample()) - self.baseline


@contextmanager
def sampling_rss(server: Nimbus) -> Iterator[RssSampler]:
    sampler = RssSampler(server.proc.pid)  # type: ignore[union-attr]
    sampler.start()
    try:
        yield sampler
    finally:
        sampler.stopping.set()


# -- clients ------------------------------------------------------------------------------
def admin_session(server: Nimbus) -> Any:
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = v3.Password(auth_url=server.auth_url, username="admin", password=server.password,
                       user_domain_name="Default", project_name="admin",
                       project_domain_name="Default")
    return session.Session(auth=auth)


def image_api(sess: Any) -> Any:
    from openstack import connection

    return connection.Connection(session=sess, region_name="RegionOne").image


def image_endpoint(sess: Any) -> str:
    return str(sess.get_endpoint(service_type="image", interface="public")).rstrip("/")


def chunks_of(path: Path, size: int) -> Iterator[bytes]:
    with open(path, "rb") as source:
        while block := source.read(size):
            yield block


# -- the figures --------------------------------------------------------------------------
def rate_mb(rate: float) -> str:
    return f"{rate / 1e6:,.0f} MB/s"


@dataclass
class Run:
    """One transfer and the dd run just before it."""

    rate: float  # bytes/s through the API
    reference: float  # bytes/s dd reached
    growth: float  # server RSS growth, MiB
    cpu: str
    extra: Any = None


def transfer_row(bench: Bench, figure: str, runs: list[Run], reference_name: str,
                 note: str) -> None:
    """The figure is the median transfer rate over the median dd rate: the disks here
    switch between fast and slow spells (dd alone reads 0.4-1.4 GB/s minute to minute), so
    one pair, or the best pair, says more about the spell than about Nimbus."""
    rate = statistics.median(r.rate for r in runs)
    reference = statistics.median(r.reference for r in runs)
    fraction = rate / reference
    growth = max(r.growth for r in runs)
    pairs = ", ".join(f"{r.rate / 1e6:,.0f}/{r.reference / 1e6:,.0f}" for r in runs)
    bench.add(Row(figure, value=f"{rate_mb(rate)} (median of {len(runs)})",
                  reference=f"{reference_name} {rate_mb(reference)} (median)",
                  ratio=f"{fraction:.0%}", rss=f"+{growth:.1f} MiB",
                  target=f"≥ {THROUGHPUT_TARGET:.0%}, < {RSS_TARGET_MIB} MiB",
                  ok=fraction >= THROUGHPUT_TARGET and growth < RSS_TARGET_MIB,
                  note=f"runs (API/dd MB/s): {pairs}; {note}; last run: {runs[-1].cpu}"))


def figure_upload(bench: Bench, server: Nimbus, sess: Any, source: Path, md5: str
                  ) -> str:
    """dd's write rate, then the same bytes PUT as a raw image, ``--repeat`` times; the id
    of the last image uploaded."""
    size = source.stat().st_size
    runs: list[Run] = []
    directs = []
    for _ in range(bench.args.repeat):
        synced, direct = dd_write(source, bench.workdir / "dd.out")
        directs.append(direct)
        image_id, seconds, growth, cpu = upload_once(bench, server, sess, source, md5)
        runs.append(Run(size / seconds, synced, growth, cpu, image_id))
    for run in runs[:-1]:
        image_api(sess).delete_image(run.extra)
    transfer_row(bench, f"upload {size // MIB} MiB", runs, "dd conv=fdatasync",
                 f"chunked PUT, {bench.args.chunk} KiB chunks; dd oflag=direct "
                 f"{rate_mb(statistics.median(directs))} (median); {hash_rates()}")
    return str(runs[-1].extra)


def upload_once(bench: Bench, server: Nimbus, sess: Any, source: Path, md5: str
                ) -> tuple[str, float, float, str]:
    """One PUT of ``source`` into a new image: (id, seconds, RSS growth, CPU note)."""
    size = source.stat().st_size
    image = image_api(sess).create_image(name="bench-1g", disk_format="raw",
                                         container_format="bare", allow_duplicates=True)
    url = f"{image_endpoint(sess)}/v2/images/{image.id}/file"
    os.sync()
    before = cpu_sample(server.proc.pid)  # type: ignore[union-attr]
    with sampling_rss(server) as rss:
        started = time.perf_counter()
        sess.put(url, data=chunks_of(source, bench.args.chunk * 1024),
                 headers={"Content-Type": "application/octet-stream"})
        seconds = time.perf_counter() - started
        growth = rss.growth()
    cpu = cpu_used(before, cpu_sample(server.proc.pid))  # type: ignore[union-attr]
    stored = image_api(sess).get_image(image.id)
    if stored.status != "active" or stored.size != size or stored.checksum != md5:
        raise RuntimeError(f"upload went wrong: {stored.status} {stored.size} "
                           f"{stored.checksum} (expected active {size} {md5})")
    return str(image.id), seconds, growth, cpu


def cpu_used(before: CpuSample, after: CpuSample) -> str:
    """The server's CPU seconds, and how busy the whole host was meanwhile."""
    server = sum(after.by_pid.values()) - sum(before.by_pid.get(p, 0) for p in after.by_pid)
    wall = after.wall - before.wall
    host = (after.busy - before.busy) / (wall * (os.cpu_count() or 1))
    return f"server {server:.1f} CPU-s, host {host:.0%} busy"


def hash_rates() -> str:
    """What one CPU hashes here: the digests Glance's API shows (checksum, os_hash_value)
    bound an upload of one stream by the slower of the two."""
    block = os.urandom(MIB)
    rates = []
    for name in ("md5", "sha512"):
        digest = hashlib.new(name, usedforsecurity=False)
        started = time.perf_counter()
        for _ in range(256):
            digest.update(block)
        rates.append(f"{name} {rate_mb(256 * MIB / (time.perf_counter() - started))}")
    return f"one CPU hashes {', '.join(rates)}"


def figure_download(bench: Bench, server: Nimbus, sess: Any, image_id: str) -> None:
    """dd's read rate of the stored file, then GET .../file streamed to /dev/null,
    ``--repeat`` times; both from the disk."""
    stored = server.data_dir / "images" / image_id
    size = stored.stat().st_size
    runs: list[Run] = []
    how = ""
    for _ in range(bench.args.repeat):
        reference, how = dd_read(stored)
        seconds, growth, cpu, cold = download_once(server, sess, image_id, size)
        runs.append(Run(size / seconds, reference, growth, cpu, cold))
    transfer_row(bench, f"download {size // MIB} MiB", runs, f"dd read ({how})",
                 "streamed to /dev/null; "
                 f"{'cold cache' if all(r.extra for r in runs) else 'cache may be warm'}")


def download_once(server: Nimbus, sess: Any, image_id: str, size: int
                  ) -> tuple[float, float, str, bool]:
    """One GET of the image's data: (seconds, RSS growth, CPU note, cache dropped)."""
    url = f"{image_endpoint(sess)}/v2/images/{image_id}/file"
    cold = drop_caches()
    before = cpu_sample(server.proc.pid)  # type: ignore[union-attr]
    with sampling_rss(server) as rss, open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        got = 0
        answer = sess.get(url, stream=True)
        for block in answer.iter_content(MIB):
            got += len(block)
            sink.write(block)
        seconds = time.perf_counter() - started
        growth = rss.growth()
    cpu = cpu_used(before, cpu_sample(server.proc.pid))  # type: ignore[union-attr]
    if got != size:
        raise RuntimeError(f"downloaded {got} bytes of {size}")
    return seconds, growth, cpu, cold


def create_images(sess: Any, count: int, threads: int) -> None:
    """``count`` metadata-only images through the API (POST /v2/images), some in parallel."""
    api = image_api(sess)

    def make(n: int) -> None:
        api.create_image(name=f"bench-list-{n:04d}", disk_format="qcow2",
                         container_format="bare", allow_duplicates=True,
                         tags=["bench"], min_disk=n % 20)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(make, range(count)))


def figure_list(bench: Bench, server: Nimbus, sess: Any) -> None:
    args = bench.args
    started = time.perf_counter()
    create_images(sess, args.images, 4)
    made = time.perf_counter() - started
    token = str(sess.get_token())
    url = f"{image_endpoint(sess)}/v2/images?limit=25"
    headers = {"X-Auth-Token": token}
    page = sess.get(url).json()
    if len(page["images"]) != 25 or "next" not in page:
        raise RuntimeError(f"a page of 25 was expected: {len(page['images'])}")
    args.server_pid = server.proc.pid  # type: ignore[union-attr]
    loop = client_loop(lambda: sess.get(url), args.duration)
    bench.add(Row(f"image list, page of 25 ({args.images:,} images)",
                  value=f"p50 {loop['p50']:.1f} ms, p99 {loop['p99']:.1f} ms",
                  target=f"p50 < {LIST_P50_TARGET_MS} ms", ok=loop["p50"] < LIST_P50_TARGET_MS,
                  note=f"1 client (keystoneauth1 loop), {loop['rate']:.0f}/s; "
                       f"{args.images:,} images made via the API in {made:.1f} s"))
    run_wrk(args, url, args.connections, args.warmup, headers)
    for connections in (1, args.connections):
        result = run_wrk(args, url, connections, args.duration, headers)
        errors = f"{result['errors']} ERRORS! " if result["errors"] else ""
        bench.add(Row(f"image list, page of 25, wrk -c{connections}",
                      value=f"p50 {ms(result['p50_us'])}, p99 {ms(result['p99_us'])}",
                      target=f"p50 < {LIST_P50_TARGET_MS} ms",
                      ok=result["p50_us"] < LIST_P50_TARGET_MS * 1000 and not errors,
                      note=f"{errors}{result['rate']:.0f}/s; {result['cpu']}"))


def client_loop(call: Callable[[], Any], duration: float) -> dict[str, float]:
    """Latencies (ms) of ``call`` repeated for ``duration`` s, one at a time."""
    times = []
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99)],
            "rate": len(times) / duration}


# -- output -------------------------------------------------------------------------------
def print_table(bench: Bench) -> None:
    head = ("figure", "value", "reference", "of ref", "RSS growth", "target", "ok", "note")
    print_columns(head, [(r.figure, r.value, r.reference, r.ratio, r.rss, r.target,
                          verdict(r.ok), r.note) for r in bench.rows])


def describe(args: argparse.Namespace, workdir: Path) -> None:
    device = subprocess.run(["df", "--output=source,fstype", str(workdir)],
                            capture_output=True, text=True).stdout.splitlines()[-1].split()
    print(f"host: {os.cpu_count()} CPUs ({platform.machine()}), Python "
          f"{platform.python_version()}; disk: {' '.join(device)} ({workdir})\n"
          f"server: {args.nimbus} up, {args.workers or 'default'} workers "
          f"(source {nimbus_source(args)}); image {args.size} MiB (median of {args.repeat}), list "
          f"{args.images:,} images, wrk -c1/-c{args.connections} {args.duration:g} s\n",
          flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=1024, help="image size in MiB")
    p.add_argument("--chunk", type=int, default=1024, help="upload chunk size in KiB")
    p.add_argument("--repeat", type=int, default=5,
                   help="uploads and downloads, each after its dd; medians are compared")
    p.add_argument("--images", type=int, default=1000, help="images for the list figure")
    p.add_argument("--duration", type=float, default=10, help="seconds per list figure")
    p.add_argument("--warmup", type=float, default=2, help="seconds of untimed list load")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--workers", type=int, default=None, help="API workers (nimbus default)")
    p.add_argument("--dir", default=None, help="where the temp dir goes (the disk measured)")
    add_common_arguments(p, FIGURES)
    args = parse_with_figures(p, FIGURES, argv)
    # What identity.py's server and wrk helpers read.
    args.bcrypt_cost, args.nice, args.threads = 12, 0, 1
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if "list" in args.only:
        ensure_wrk(not args.no_install)
    workdir = Path(tempfile.mkdtemp(prefix="nimbus-bench-image-", dir=args.dir))
    bench = Bench(args, workdir)
    describe(args, workdir)
    try:
        run_figures(bench)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_table(bench)


def run_figures(bench: Bench) -> None:
    args, workdir = bench.args, bench.workdir
    with running(args, workdir / "data", args.workers) as server:
        sess = admin_session(server)
        if args.only & {"upload", "download"}:
            source = workdir / "source.raw"
            md5 = make_source(source, args.size * MIB)
            image_id = figure_upload(bench, server, sess, source, md5)
            source.unlink()
            if "download" in args.only:
                figure_download(bench, server, sess, image_id)
            image_api(sess).delete_image(image_id)
        if "list" in args.only:
            figure_list(bench, server, sess)


if __name__ == "__main__":
    main()
