"""What every tempest interop test shares: a live Nimbus, a tempest.conf, `tempest run` over a
load list of the interop guideline 2022.11, and a report of what passed, failed or skipped.

Tempest lives in a venv of its own (its pins clash with ours): scripts/test installs it and
sets NIMBUS_TEMPEST_VENV. The test ids come from ../shared/compat/interop-2022.11 beside the
repository (NIMBUS_COMPAT_DIR overrides). A skipped tempest test counts as a failure here.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import TEST_ENV, LiveCloud, start_cloud

REPO = Path(__file__).resolve().parents[2]
COMPAT = Path(os.environ.get("NIMBUS_COMPAT_DIR") or REPO.parent / "shared" / "compat")
SERVICES = ("keystone", "nova", "neutron", "glance", "cinder", "swift", "horizon")

# Reads a subunit v2 stream on stdin, prints [{id, status, details}] as JSON. Runs with the
# tempest venv's python, which has python-subunit and testtools.
SUBUNIT_TO_JSON = textwrap.dedent("""
    import json, sys
    import subunit, testtools

    results = []

    def text_of(content):
        try:
            return content.as_text()
        except Exception:
            return ""

    def on_test(test):
        details = {k: text_of(v) for k, v in test["details"].items()}
        results.append({"id": test["id"], "status": test["status"], "details": details})

    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    sink = testtools.StreamToDict(on_test)
    sink.startTestRun()
    stream.run(sink)
    sink.stopTestRun()
    json.dump(results, sys.stdout)
""")


def load_list(name: str) -> Path:
    """The load list of one capability file, e.g. load_list("image.txt")."""
    return COMPAT / "interop-2022.11" / name


def tempest_venv() -> Path:
    value = os.environ.get("NIMBUS_TEMPEST_VENV")
    if not value:
        pytest.skip("NIMBUS_TEMPEST_VENV is not set: ./scripts/test installs tempest 47.0.0 "
                    "into .venv-tempest and sets it")
    venv = Path(value)
    if not (venv / "bin" / "tempest").exists():
        pytest.fail(f"NIMBUS_TEMPEST_VENV={venv} has no bin/tempest")
    return venv


def expected_tests(listing: Path) -> list[str]:
    if not listing.exists():
        pytest.fail(f"{listing} is missing: the CI checkout keeps shared/ beside the repo "
                    "(or set NIMBUS_COMPAT_DIR)")
    lines = (line.strip() for line in listing.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def admin_auth(cloud: LiveCloud) -> dict[str, Any]:
    doc = yaml.safe_load(cloud.clouds_yaml.read_text())
    return dict(doc["clouds"]["nimbus"]["auth"])


def compliance(name: str) -> str:
    return TEST_ENV[f"NIMBUS_SECURITY_COMPLIANCE__{name.upper()}"]


def base_conf(cloud: LiveCloud, workspace: Path, available: Iterable[str]) -> str:
    """tempest.conf's sections every run needs, modelled on shared/compat/tempest.conf.sample:
    credentials, identity, and which services to test (``available``, tempest's names)."""
    auth = admin_auth(cloud)
    services = set(available)
    flags = "".join(f"{name} = {str(name in services).lower()}\n" for name in SERVICES)
    head = textwrap.dedent(f"""\
        [DEFAULT]
        log_dir = {workspace / "logs"}
        log_file = tempest.log

        [oslo_concurrency]
        lock_path = {workspace / "tempest_lock"}

        [auth]
        use_dynamic_credentials = true
        admin_username = {auth["username"]}
        admin_password = {auth["password"]}
        admin_project_name = {auth["project_name"]}
        admin_domain_name = {auth["user_domain_name"]}
        admin_user_domain_name = {auth["user_domain_name"]}
        admin_project_domain_name = {auth["project_domain_name"]}
        default_credentials_domain_name = Default
        tempest_roles = member
        create_isolated_networks = false

        [identity]
        uri_v3 = {cloud.auth_url}/v3
        auth_version = v3
        region = RegionOne
        v3_endpoint_type = public
        user_lockout_failure_attempts = {compliance("lockout_failure_attempts")}
        user_lockout_duration = {compliance("lockout_duration")}
        user_unique_last_password_count = {compliance("unique_last_password_count")}
        user_minimum_password_age = 0

        [identity-feature-enabled]
        security_compliance = true
        trust = true
        access_rules = true
        domain_specific_drivers = true

        [service_available]
    """)
    # image_caching_enabled: Nimbus keeps Glance's image cache (v2.14 cache API) on.
    return (f"{head}{flags}\n[validation]\nrun_validation = false\n"
            "\n[image]\nimage_caching_enabled = true\n")


def tempest_env(venv: Path) -> dict[str, str]:
    """Our environment minus anything that would steer tempest's own python or clients."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("OS_", "PYTHON", "VIRTUAL_ENV", "TEMPEST_"))}
    return {**keep, "PATH": f"{venv / 'bin'}{os.pathsep}{keep.get('PATH', '')}"}


def run_tempest(venv: Path, workspace: Path, listing: Path) -> str:
    """`tempest run` over the load list; returns what it printed (it also lands in a file)."""
    conf = workspace / "etc" / "tempest.conf"
    run = subprocess.run(
        [str(venv / "bin" / "tempest"), "run", "--config-file", str(conf),
         "--load-list", str(listing), "--concurrency", "2"],
        cwd=workspace, env=tempest_env(venv), capture_output=True, text=True, timeout=1200,
        stdin=subprocess.DEVNULL)
    printed = run.stdout + run.stderr
    (workspace / "tempest-run.txt").write_text(printed)
    return printed


def tempest_results(venv: Path, workspace: Path) -> list[dict[str, Any]]:
    """Every test of the last run, with status and details (tracebacks, skip reasons)."""
    env = tempest_env(venv)
    stream = subprocess.run([str(venv / "bin" / "stestr"), "last", "--subunit"], cwd=workspace,
                            env=env, capture_output=True, timeout=120)
    if not stream.stdout:
        return []
    parsed = subprocess.run([str(venv / "bin" / "python"), "-c", SUBUNIT_TO_JSON],
                            input=stream.stdout, env=env, capture_output=True, timeout=120,
                            check=True)
    return list(json.loads(parsed.stdout))


def base_id(test_id: str) -> str:
    """tempest.api...Class.test_x[id-...,smoke] -> tempest.api...Class.test_x"""
    return test_id.split("[", 1)[0]


def classify(expected: list[str], results: list[dict[str, Any]]) -> dict[str, list[str]]:
    """passed / failed / skipped / not run, by expected test id."""
    status = {base_id(r["id"]): r["status"] for r in results}
    groups: dict[str, list[str]] = {"passed": [], "failed": [], "skipped": [], "not run": []}
    for test_id in expected:
        found = status.get(base_id(test_id))
        key = {"success": "passed", "skip": "skipped", None: "not run"}.get(found, "failed")
        groups[key].append(test_id)
    return groups


def without_testtools_frames(traceback: str) -> str:
    """Tracebacks through testtools' assertRaises are mostly testtools: keep tempest's frames."""
    kept: list[str] = []
    skipping = False
    for line in traceback.splitlines():
        if line.startswith('  File "'):
            skipping = "/testtools/" in line
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


def problem_details(results: list[dict[str, Any]]) -> str:
    """Tracebacks of failures (class-level setUp errors included) and skip reasons."""
    parts = []
    for result in results:
        if result["status"] in ("success", "exists"):
            continue
        details = result["details"]
        text = details.get("traceback") or details.get("reason") or "\n".join(details.values())
        text = without_testtools_frames(text)
        parts.append(f"--- {result['status'].upper()}: {result['id']}\n{text.strip()}\n")
    return "\n".join(parts)


def report(title: str, groups: dict[str, list[str]], results: list[dict[str, Any]],
           printed: str) -> str:
    counts = ", ".join(f"{len(ids)} {name}" for name, ids in groups.items())
    lines = [f"tempest {title} interop: {counts}"]
    for name in ("failed", "skipped", "not run"):
        lines += [f"  {name.upper()}: {base_id(i)}" for i in groups[name]]
    details = problem_details(results)
    if not results:
        details = f"no subunit results; tempest printed:\n{printed[-6000:]}"
    return "\n".join(lines) + ("\n\n" + details if details else "")


@dataclass
class InteropRun:
    expected: list[str]
    groups: dict[str, list[str]]
    summary: str


def run_interop(tmp_path: Path, title: str, listing: Path,
                conf: Callable[[LiveCloud, Path], str]) -> InteropRun:
    """A fresh cloud, tempest.conf from ``conf(cloud, workspace)``, one `tempest run` over
    ``listing``, the cloud stopped; what each expected test did."""
    venv = tempest_venv()
    expected = expected_tests(listing)
    cloud = start_cloud(tmp_path / "data")
    workspace = tmp_path / "tempest"
    (workspace / "etc").mkdir(parents=True)
    (workspace / "logs").mkdir()
    try:
        (workspace / "etc" / "tempest.conf").write_text(conf(cloud, workspace))
        printed = run_tempest(venv, workspace, listing)
        results = tempest_results(venv, workspace)
    finally:
        cloud.stop()
    groups = classify(expected, results)
    summary = report(title, groups, results, printed)
    print(summary.splitlines()[0])
    return InteropRun(expected, groups, summary)
