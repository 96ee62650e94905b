"""All of tempest 47's ``tempest.api.identity`` against a live Nimbus, every identity
feature switched on (trusts, OAuth 1.0a, domain-specific drivers, security compliance,
access rules): no failure and no skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf
from tests.tempest.packages import run_package

pytestmark = pytest.mark.tempest


def tempest_conf(cloud: LiveCloud, workspace: Path) -> str:
    return base_conf(cloud, workspace, available={"keystone"})


@pytest.mark.timeout(2400)
def test_tempest_identity_package(tmp_path: Path) -> None:
    run = run_package(tmp_path, r"^tempest\.api\.identity\.", tempest_conf)
    assert len(run.passed) > 120, run.summary
    assert not run.failed, run.summary
    assert not run.skipped, run.summary
