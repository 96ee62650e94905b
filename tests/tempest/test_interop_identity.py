"""Tempest 47's identity tests of the interop guideline 2022.11, against a live Nimbus.

The harness (tests/tempest/harness.py) starts the cloud, runs tempest and reports; a skipped
tempest test counts as a failure here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf, load_list, run_interop

pytestmark = pytest.mark.tempest

LOAD_LIST = load_list("identity.txt")


def tempest_conf(cloud: LiveCloud, workspace: Path) -> str:
    """An identity-only tempest.conf."""
    return base_conf(cloud, workspace, available={"keystone"})


@pytest.mark.timeout(1500)
def test_tempest_identity_interop(tmp_path: Path) -> None:
    run = run_interop(tmp_path, "identity", LOAD_LIST, tempest_conf)
    assert len(run.expected) == 17, f"{LOAD_LIST} lists {len(run.expected)} tests, not 17"
    assert len(run.groups["passed"]) == len(run.expected), run.summary
