"""Tempest 47's trust and OAuth 1.0a consumer tests against a live Nimbus (not part of the
interop guideline; tempest runs them with ``[identity-feature-enabled] trust = true``).

A skipped tempest test counts as a failure here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf, run_interop

pytestmark = pytest.mark.tempest

TRUSTS = "tempest.api.identity.admin.v3.test_trusts.TrustsV3TestJSON"
CONSUMERS = "tempest.api.identity.admin.v3.test_oauth_consumers.OAUTHConsumersV3Test"
TESTS = [
    f"{TRUSTS}.test_get_trusts_all[id-4773ebd5-ecbf-4255-b8d8-b63e6f72b65d,smoke]",
    f"{TRUSTS}.test_get_trusts_query[id-6268b345-87ca-47c0-9ce3-37792b43403a]",
    f"{TRUSTS}.test_trust_expire[id-0ed14b66-cefd-4b5c-a964-65759453e292]",
    f"{TRUSTS}.test_trust_expire_invalid[id-3e48f95d-e660-4fa9-85e0-5a3d85594384]",
    f"{TRUSTS}.test_trust_impersonate[id-5a0a91a4-baef-4a14-baba-59bf4d7fcace]",
    f"{TRUSTS}.test_trust_noimpersonate[id-ed2a8779-a7ac-49dc-afd7-30f32f936ed2]",
    f"{CONSUMERS}.test_create_and_show_consumer[id-c8307ea6-a86c-47fd-ae7b-5b3b2caca76d]",
    f"{CONSUMERS}.test_delete_consumer[id-fdfa1b7f-2a31-4354-b2c7-f6ae20554f93]",
    f"{CONSUMERS}.test_list_consumers[id-09ca50de-78f2-4ffb-ac71-f2254036b2b8]",
    f"{CONSUMERS}.test_update_consumer[id-080a9b1a-c009-47c0-9979-5305bf72e3dc]",
]


def tempest_conf(cloud: LiveCloud, workspace: Path) -> str:
    return base_conf(cloud, workspace, available={"keystone"})


@pytest.mark.timeout(900)
def test_tempest_trusts_and_oauth_consumers(tmp_path: Path) -> None:
    listing = tmp_path / "delegation.txt"
    listing.write_text("\n".join(TESTS) + "\n")
    run = run_interop(tmp_path, "delegation", listing, tempest_conf)
    assert len(run.groups["passed"]) == len(TESTS), run.summary
