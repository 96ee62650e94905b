"""Tempest 47's domain configuration tests (not in the interop guideline), against a live
Nimbus: tempest.api.identity.admin.v3.test_domain_configuration, every test of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf, run_interop

pytestmark = pytest.mark.tempest

CLASS = "tempest.api.identity.admin.v3.test_domain_configuration.DomainConfigurationTestJSON"
TESTS = {
    "test_show_default_group_config_and_options": "11a02bf0-6f94-4380-b3b0-c8dc18fc0d22",
    "test_create_domain_config_and_show_config_groups_and_options":
        "9e3ff13c-f597-4f01-9377-d6c06c2a1477",
    "test_create_update_and_delete_domain_config": "7161023e-5dd0-4612-9da0-1bac6ac30b63",
    "test_create_update_and_delete_domain_config_groups_and_opts":
        "c7510fa2-6661-4170-9c6b-4783a80651e9",
}


def tempest_conf(cloud: LiveCloud, workspace: Path) -> str:
    return base_conf(cloud, workspace, available={"keystone"})


@pytest.mark.timeout(900)
def test_tempest_domain_configuration(tmp_path: Path) -> None:
    listing = tmp_path / "domain-configuration.txt"
    listing.write_text("".join(f"{CLASS}.{name}[id-{ident}]\n"
                               for name, ident in TESTS.items()))
    run = run_interop(tmp_path, "domain configuration", listing, tempest_conf)
    assert len(run.groups["passed"]) == len(TESTS), run.summary
