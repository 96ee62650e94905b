"""Policy files in the data dir override the default rules, one file per service as in
OpenStack (Keystone's, Glance's and Neutron's policy.yaml): policy/identity.yaml,
policy/image.yaml, policy/network.yaml, policy/placement.yaml.
A rule of one service's file never reaches another service, even where the names are the
same (both define ``default`` and admin rules)."""

from __future__ import annotations

import socket

import openstack
import openstack.config
import pytest
from openstack import exceptions as sdk_exc

from tests.conftest import LiveCloud, start_cloud


@pytest.fixture(scope="module")
def strict_cloud(tmp_path_factory):
    data = tmp_path_factory.mktemp("policy") / "data"
    (data / "policy").mkdir(parents=True)
    (data / "policy" / "identity.yaml").write_text(
        '"identity:list_projects": "!"\n'
        '"identity:get_domain": "role:no-such-role"\n'
        # A name Glance also uses: it must not change who is an image admin.
        '"context_is_admin": "!"\n')
    (data / "policy" / "image.yaml").write_text('"delete_image": "!"\n')
    (data / "policy" / "network.yaml").write_text('"create_router": "!"\n')
    # Placement's admin rule named by another: only provider creation is refused.
    (data / "policy" / "placement.yaml").write_text(
        '"placement:resource_providers:create": "!"\n'
        '"placement:traits:list": "rule:admin_api and role:no-such-role"\n')
    # The old single file is not read any more (nimbus up says so).
    (data / "policy.yaml").write_text('"identity:create_project": "!"\n')
    live = start_cloud(data)
    yield live
    live.stop()


def connect(cloud: LiveCloud):
    config = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)])
    return openstack.connection.Connection(config=config.get_one(cloud="nimbus"))


def test_overridden_identity_rules_deny_even_admin(strict_cloud):
    conn = connect(strict_cloud)
    with pytest.raises(sdk_exc.ForbiddenException):
        list(conn.identity.projects())
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.get_domain("default")
    # Rules not overridden keep their defaults, and the old policy.yaml is not read.
    assert conn.identity.create_project(name="still-allowed", domain_id="default").id
    log = strict_cloud.data_dir.parent / f"{strict_cloud.data_dir.name}-{strict_cloud.port}.log"
    assert "policy.yaml is not read" in log.read_text()


def test_image_rules_come_from_the_image_file_alone(strict_cloud):
    conn = connect(strict_cloud)
    image = conn.image.create_image(name="kept", disk_format="raw", container_format="bare")
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.image.delete_image(image)
    # identity.yaml's context_is_admin did not reach the image API: the admin still
    # publicizes, which only context_is_admin allows.
    conn.image.update_image(image, visibility="public")
    assert conn.image.get_image(image.id).visibility == "public"


def test_network_rules_come_from_the_network_file_alone(strict_cloud):
    conn = connect(strict_cloud)
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.network.create_router(name="denied")
    # identity.yaml's context_is_admin did not reach Neutron's rules: the admin still sets
    # provider attributes, which only context_is_admin allows.
    net = conn.network.create_network(name="provider", provider_network_type="vxlan",
                                      provider_segmentation_id=4242)
    assert conn.network.get_network(net.id).provider_segmentation_id == 4242


def test_placement_rules_come_from_the_placement_file(strict_cloud):
    conn = connect(strict_cloud)
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.placement.create_resource_provider(name="denied")
    with pytest.raises(sdk_exc.ForbiddenException):
        list(conn.placement.traits())
    # The rules not overridden keep Placement's defaults (admin or service).
    # (What a listing may show: the compute node the cloud's agent reported, if it has.)
    names = [p.name for p in conn.placement.resource_providers()]
    assert names in ([], [socket.gethostname()])
    assert list(conn.placement.resource_classes())
