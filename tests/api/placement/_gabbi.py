"""Runs Placement's own gabbi tests (placement/tests/functional/gabbits/*.yaml) against a
live Nimbus: the files that need only Placement's bare ``APIFixture`` (an empty
database), with the fake ``admin``/``user`` tokens of Placement's no-auth middleware
swapped for real Keystone tokens, and the fixture's environment variables set afresh."""

from __future__ import annotations

import copy
import os
import unittest
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The names the fixture sets (placement/tests/functional/fixtures/gabbits.py).
UUID_VARS = ["RP_UUID", "RP_NAME", "RP_UUID1", "RP_NAME1", "RP_UUID2", "RP_NAME2",
             "PROJECT_ID", "ADMIN_PROJECT_ID", "SERVICE_PROJECT_ID", "USER_ID",
             "PROJECT_ID_ALT", "USER_ID_ALT", "INSTANCE_UUID", "MIGRATION_UUID",
             "CONSUMER_UUID", "PARENT_PROVIDER_UUID", "ALT_PARENT_PROVIDER_UUID"]
CLASS_VARS = {"CUSTOM_RES_CLASS": "CUSTOM_IRON_NFV", "CUSTOM_RES_CLASS1": "CUSTOM_IRON_NFV1",
              "CUSTOM_RES_CLASS2": "CUSTOM_IRON_NFV2"}


@dataclass
class Outcome:
    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def bare_fixture_files(directory: Path) -> list[Path]:
    out = []
    for path in sorted(directory.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text()) or {}
        if doc.get("fixtures") == ["APIFixture"] and doc.get("tests"):
            out.append(path)
    return out


def _swap_tokens(headers: dict[str, Any] | None) -> None:
    if not headers:
        return
    for key in list(headers):
        if key.lower() == "x-auth-token" and "$ENVIRON" not in str(headers[key]):
            headers[key] = "$ENVIRON['NIMBUS_ADMIN_TOKEN']" \
                if str(headers[key]).split(":")[0] == "admin" \
                else "$ENVIRON['NIMBUS_USER_TOKEN']"


def _mounted(test: dict[str, Any], prefix: str) -> None:
    """The fixture serves Placement at the root; Nimbus (as DevStack) under /placement,
    which every link carries ($NETLOC has it already)."""
    paths = test.get("response_json_paths") or {}
    for key, value in paths.items():
        if "href" in key and isinstance(value, str) and value.startswith("/"):
            paths[key] = prefix + value


def prepared(path: Path, prefix: str = "/placement") -> dict[str, Any]:
    from tests.api.placement._gabbi_rbac import swap_headers

    doc = copy.deepcopy(yaml.safe_load(path.read_text()))
    doc.pop("fixtures", None)
    doc.pop("vars", None)  # (anchors only; their values were read in already)
    _swap_tokens(doc.get("defaults", {}).get("request_headers"))
    for test in doc["tests"]:
        swap_headers(test.get("request_headers"))
        _swap_tokens(test.get("request_headers"))
        _mounted(test, prefix)
    return doc


def set_environ(admin_token: str, user_token: str) -> None:
    for name in UUID_VARS:
        os.environ[name] = str(uuid.uuid4())
    os.environ.update(CLASS_VARS)
    os.environ["NIMBUS_ADMIN_TOKEN"] = admin_token
    os.environ["NIMBUS_USER_TOKEN"] = user_token


def fixture_names(path: Path) -> list[str]:
    return list((yaml.safe_load(path.read_text()) or {}).get("fixtures") or [])


def run_file(path: Path, host: str, port: int, prefix: str, admin_token: str,
             user_token: str, fixture: Any = None,
             environ: dict[str, str] | None = None) -> Outcome:
    """Run one gabbit file; ``fixture`` (an object with ``start_fixture()``) fills the
    database first."""
    from gabbi import handlers, suitemaker

    set_environ(admin_token, user_token)
    if fixture is not None:
        fixture.start_fixture()
    os.environ.update(environ or {})
    loader = unittest.TestLoader()
    suite = suitemaker.test_suite_from_dict(
        loader, path.stem, prepared(path, prefix), str(path.parent), host, port, None, None,
        prefix=prefix, handlers=[h() for h in handlers.RESPONSE_HANDLERS],
        test_loader_name="nimbus")
    tests = _flatten(suite)
    result = unittest.TestResult()
    suite.run(result)
    outcome = Outcome()
    bad = {t.id(): text for t, text in (*result.failures, *result.errors)}
    skipped = {t.id() for t, _why in result.skipped}
    for test in tests:
        name = test.id()
        if name in bad:
            outcome.failed[name] = bad[name]
        elif name in skipped:
            outcome.skipped.append(name)
        else:
            outcome.passed.append(name)
    return outcome


def _flatten(suite: unittest.TestSuite) -> list[unittest.TestCase]:
    out: list[unittest.TestCase] = []
    for item in suite:
        if item is None:
            continue
        if isinstance(item, unittest.TestSuite):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out
