"""Tempest 47's network tests of the interop guideline 2022.11 (82 of them), against a live
Nimbus: all must pass, none skipped, with the IPv6 subnet attributes on.

tempest.conf's network sections: ``api_extensions`` is what Nimbus lists at the moment the
test runs (nimbus/services/network/extensions.py), so tempest skips nothing Nimbus claims and
tries nothing it does not; ``public_network_id`` is the all-in-one ``public`` network, when
the cloud has made one; guests are not reachable from tempest (no compute yet).
"""

from __future__ import annotations

from pathlib import Path

import openstack
import openstack.config
import pytest

from nimbus.services.network.extensions import EXTENSIONS
from tests.conftest import LiveCloud
from tests.tempest.harness import base_conf, load_list, run_interop

pytestmark = pytest.mark.tempest

LOAD_LIST = load_list("network.txt")
PUBLIC = "public"


def public_network_id(cloud: LiveCloud) -> str | None:
    """The id of the all-in-one external network ``public``, if the cloud has one."""
    config = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    try:
        found = [n for n in conn.network.networks(name=PUBLIC) if n.is_router_external]
    finally:
        conn.close()
    return found[0].id if found else None


def network_sections(cloud: LiveCloud) -> str:
    """[network] and [network-feature-enabled] for this cloud."""
    aliases = ",".join(str(e["alias"]) for e in EXTENSIONS)
    public = public_network_id(cloud)
    external = (f"public_network_id = {public}\nfloating_network_name = {PUBLIC}\n"
                if public else "")
    return ("\n[network]\n"
            "project_networks_reachable = false\n"
            "project_network_cidr = 10.100.0.0/16\n"
            "project_network_mask_bits = 28\n"
            "project_network_v6_cidr = 2001:db8::/48\n"
            "project_network_v6_mask_bits = 64\n"
            "shared_physical_network = false\n"
            f"{external}"
            "\n[network-feature-enabled]\n"
            "ipv6 = true\n"
            "ipv6_subnet_attributes = true\n"
            "port_security = true\n"
            "port_admin_state_change = true\n"
            f"floating_ips = {str(public is not None).lower()}\n"
            f"api_extensions = {aliases}\n")


def tempest_conf(cloud: LiveCloud, workspace: Path) -> str:
    """Identity plus the network service (Neutron v2.0)."""
    return base_conf(cloud, workspace, available={"keystone", "neutron"}) + \
        network_sections(cloud)


@pytest.mark.timeout(1500)
def test_tempest_network_interop(tmp_path: Path) -> None:
    run = run_interop(tmp_path, "network", LOAD_LIST, tempest_conf)
    assert len(run.expected) == 82, f"{LOAD_LIST} lists {len(run.expected)} tests, not 82"
    assert len(run.groups["passed"]) == len(run.expected), run.summary
