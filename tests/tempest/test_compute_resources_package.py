"""Tempest 47's tests of the compute resource families (flavors, key pairs, server groups,
quotas, limits, availability zones, aggregates, services, hypervisors, migrations, hosts,
extensions, the usage audit log, the os-networks proxy) against a
live Nimbus with one compute host reported the way the compute agent reports it; the tests
that boot servers wait for the servers family and are left out here."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from nimbus.config import Settings
from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.service import compute_of
from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf
from tests.tempest.packages import run_package

pytestmark = pytest.mark.tempest

FAMILIES = (r"^tempest\.api\.compute\.(flavors|keypairs|limits|test_quotas|test_extensions|"
            r"servers\.test_availability_zone|servers\.test_server_group|"
            r"admin\.test_(flavors\w*|keypairs_v210|quotas\w*|quota_class\w*|services\w*|"
            r"hypervisor\w*|aggregates\w*|availability_zone\w*|server_groups|migrations|"
            r"hosts\w*|instance_usage_audit_log\w*|networks))\.")
# Tests that boot a server (the servers family is built elsewhere).
BOOTS = (r"(test_create_server_with_non_public_flavor|test_boot_with_low_ram|"
         r"test_create_server_when_\w+_quota_is_full|test_max_metadata_exceed_limit|"
         r"test_create_server_with_scheduler_hint_group|MigrationsAdminTest\.test_\w*"
         r"(migrat|resize)\w*|test_aggregate_add_host_create_server_with_az|"
         r"test_list_migrations)")
OUTSIDE = {
    "Skipped until bug": "tempest itself skips it for a Nova bug",
    "Less than 2 compute nodes": "the all-in-one cloud has one compute host",
    "Resize not available": "resize belongs to the servers family",
    "Cold migration not available": "migration belongs to the servers family",
}


def compute_conf(cloud: LiveCloud, workspace: Path) -> str:
    runtime = Runtime(Settings(data_dir=cloud.data_dir))
    try:
        hosts = compute_of(runtime).hosts
        host = socket.gethostname()
        hosts.report_service(host)
        hosts.report_service(host, "nova-scheduler", topic="scheduler")
        hosts.report_node(host, {"vcpus": 4, "memory_mb": 8192, "local_gb": 100,
                                 "host_ip": "127.0.0.1", "cpu_info": {"arch": "x86_64"}})
    finally:
        runtime.close()
    return base_conf(cloud, workspace, available={"keystone", "nova", "glance", "neutron"}) \
        + ("\n[compute]\nimage_ref = 00000000-0000-0000-0000-000000000000\n"
           "image_ref_alt = 00000000-0000-0000-0000-000000000000\nflavor_ref = 42\n"
           "flavor_ref_alt = 84\nfixed_network_name = public\nmin_compute_nodes = 1\n"
           "min_microversion = 2.1\n"
           "max_microversion = latest\n")


@pytest.mark.timeout(2400)
def test_tempest_compute_resource_families(tmp_path: Path) -> None:
    run = run_package(tmp_path, FAMILIES, compute_conf,
                      {"NIMBUS_COMPUTE__SERVICE_DOWN_TIME": "3600"}, exclude=BOOTS)
    assert len(run.passed) >= 150, run.summary
    assert not run.failed, run.summary
    assert not run.unexplained_skips(OUTSIDE), run.summary
