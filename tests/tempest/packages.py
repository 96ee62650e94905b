"""A whole tempest package (``tempest.api.identity``, ``tempest.api.image``) against a live
Nimbus, beyond the interop lists: what passed, failed and skipped, with the reason of every
skip. A package test fails on any failure and on any skip whose reason is not one the test
names as outside Nimbus (another service not built yet, a second cloud to import from).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import LiveCloud, start_cloud
from tests.tempest.harness import (
    problem_details,
    tempest_env,
    tempest_results,
    tempest_venv,
    without_testtools_frames,
)


@dataclass
class PackageRun:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # test id -> skip reason
    skipped: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    def add(self, other: PackageRun) -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped.update(other.skipped)
        self.summary = f"{self.summary}\n{other.summary}".strip()

    def unexplained_skips(self, allowed: Mapping[str, str]) -> dict[str, str]:
        """Skips whose reason contains none of the ``allowed`` reason fragments."""
        return {test: reason for test, reason in self.skipped.items()
                if not any(fragment in reason for fragment in allowed)}


def skip_reason(result: dict[str, Any]) -> str:
    details = result["details"]
    text = details.get("reason") or details.get("traceback") or "\n".join(details.values())
    return without_testtools_frames(text).strip().splitlines()[-1] if text.strip() else ""


def classify_package(results: list[dict[str, Any]]) -> PackageRun:
    run = PackageRun()
    for result in results:
        test_id = result["id"].split("[", 1)[0]
        if result["status"] in ("success", "exists"):
            run.passed.append(test_id)
        elif result["status"] == "skip":
            run.skipped[test_id] = skip_reason(result)
        else:
            run.failed.append(test_id)
    return run


def run_package(tmp_path: Path, regex: str, conf: Callable[[LiveCloud, Path], str],
                extra_env: dict[str, str] | None = None,
                exclude: str | None = None) -> PackageRun:
    """A fresh cloud (with ``extra_env``), tempest.conf from ``conf``, `tempest run
    --regex`, the cloud stopped."""
    venv = tempest_venv()
    tmp_path.mkdir(parents=True, exist_ok=True)
    cloud = start_cloud(tmp_path / "data", extra_env=extra_env)
    workspace = tmp_path / "tempest"
    (workspace / "etc").mkdir(parents=True)
    (workspace / "logs").mkdir()
    try:
        (workspace / "etc" / "tempest.conf").write_text(conf(cloud, workspace))
        printed = subprocess.run(
            [str(venv / "bin" / "tempest"), "run", "--config-file",
             str(workspace / "etc" / "tempest.conf"), "--regex", regex, "--concurrency", "2",
             *(["--exclude-regex", exclude] if exclude else [])],
            cwd=workspace, env=tempest_env(venv), capture_output=True, text=True,
            timeout=2400, stdin=subprocess.DEVNULL)
        (workspace / "tempest-run.txt").write_text(printed.stdout + printed.stderr)
        results = tempest_results(venv, workspace)
    finally:
        cloud.stop()
    run = classify_package(results)
    lines = [f"tempest {regex}: {len(run.passed)} passed, {len(run.failed)} failed, "
             f"{len(run.skipped)} skipped"]
    lines += [f"  FAILED: {test}" for test in run.failed]
    lines += [f"  SKIPPED: {test}: {reason}" for test, reason in sorted(run.skipped.items())]
    details = problem_details(results) if results else (
        f"no subunit results; tempest printed:\n{(printed.stdout + printed.stderr)[-6000:]}")
    run.summary = "\n".join(lines) + "\n\n" + details
    print(run.summary)
    return run
