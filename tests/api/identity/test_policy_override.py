"""A policy.yaml in the data dir overrides the default rules, as Keystone's does."""

from __future__ import annotations

import openstack
import openstack.config
import pytest
from openstack import exceptions as sdk_exc

from tests.conftest import start_cloud


@pytest.fixture(scope="module")
def strict_cloud(tmp_path_factory):
    data = tmp_path_factory.mktemp("policy") / "data"
    data.mkdir()
    (data / "policy.yaml").write_text('"identity:list_projects": "!"\n'
                                      '"identity:get_domain": "role:no-such-role"\n')
    live = start_cloud(data)
    yield live
    live.stop()


def test_overridden_rules_deny_even_admin(strict_cloud):
    config = openstack.config.OpenStackConfig(config_files=[str(strict_cloud.clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    with pytest.raises(sdk_exc.ForbiddenException):
        list(conn.identity.projects())
    with pytest.raises(sdk_exc.ForbiddenException):
        conn.identity.get_domain("default")
    # Rules not overridden keep their defaults.
    assert conn.identity.create_project(name="still-allowed", domain_id="default").id
