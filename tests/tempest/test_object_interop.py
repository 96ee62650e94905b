"""Tempest 47's object storage tests of the interop guideline 2022.11 (61 of them), against
a live Nimbus: Swift v1 at /object-store/v1/AUTH_<project>.

tempest.conf's [object-storage]: dynamic credentials get the ``member`` role (an operator
role of Nimbus's keystoneauth rules, as DevStack adds it), and ``admin`` is the reseller
admin role (Nimbus's [object] reseller_admin_roles). The discoverable APIs are the ones
/info lists, so tempest tries what Nimbus claims.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbus.services.object.api.info import MIDDLEWARE
from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf, load_list, run_interop

pytestmark = pytest.mark.tempest

LOAD_LIST = load_list("object.txt")


def object_sections() -> str:
    apis = ",".join(MIDDLEWARE)
    return ("\n[object-storage]\n"
            "operator_role = member\n"
            "reseller_admin_role = admin\n"
            "region = RegionOne\n"
            "container_sync_timeout = 60\n"
            "\n[object-storage-feature-enabled]\n"
            "discoverability = true\n"
            f"discoverable_apis = {apis}\n"
            "container_sync = false\n"
            "object_versioning = true\n")


def tempest_conf(cloud: LiveCloud, workspace: Path) -> str:
    """Identity plus the object store (Swift v1)."""
    return base_conf(cloud, workspace, available={"keystone", "swift"}) + object_sections()


@pytest.mark.timeout(1500)
def test_tempest_object_interop(tmp_path: Path) -> None:
    run = run_interop(tmp_path, "object", LOAD_LIST, tempest_conf)
    assert len(run.expected) == 61, f"{LOAD_LIST} lists {len(run.expected)} tests, not 61"
    assert len(run.groups["passed"]) == len(run.expected), run.summary
