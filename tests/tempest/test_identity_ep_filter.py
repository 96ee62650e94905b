"""Tempest 47's tests of the identity families added beside the interop guideline: endpoint
groups (OS-EP-FILTER), policy blobs (/v3/policies), projects acting as domains, and the
region, service and project tests those families touch. A skip counts as a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf, run_interop

pytestmark = pytest.mark.tempest

V3 = "tempest.api.identity.admin.v3"
TESTS = [
    f"{V3}.test_endpoint_groups.EndPointGroupsTest."
    "test_create_list_show_check_delete_endpoint_group[id-7c69e7a1-f865-402d-a2ea-44493017315a]",
    f"{V3}.test_endpoint_groups.EndPointGroupsTest."
    "test_update_endpoint_group[id-51c8fc38-fa84-4e76-b5b6-6fc37770fb26]",
    f"{V3}.test_policies.PoliciesTestJSON."
    "test_list_policies[id-1a0ad286-2d06-4123-ab0d-728893a76201]",
    f"{V3}.test_policies.PoliciesTestJSON."
    "test_create_update_delete_policy[id-e544703a-2f03-4cf2-9b0f-350782fdb0d3,smoke]",
    f"{V3}.test_projects.ProjectsTestJSON."
    "test_create_is_domain_project[id-a7eb9416-6f9b-4dbb-b71b-7f73aaef59d5]",
]


def tempest_conf(cloud: LiveCloud, workspace: Path) -> str:
    return base_conf(cloud, workspace, available={"keystone"})


@pytest.mark.timeout(1500)
def test_tempest_identity_ep_filter(tmp_path: Path) -> None:
    listing = tmp_path / "ep-filter.txt"
    listing.write_text("\n".join(TESTS) + "\n")
    run = run_interop(tmp_path, "identity ep-filter", listing, tempest_conf)
    assert len(run.groups["passed"]) == len(TESTS), run.summary
