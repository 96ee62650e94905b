"""What the end-to-end tests share: `nimbus up` started on a data dir of the test's own,
and clients made for it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.conftest import LiveCloud, start_cloud

Start = Callable[..., LiveCloud]


@pytest.fixture
def start() -> Iterator[Start]:
    """Starts `nimbus up` on a data dir; whatever is still running at the end is stopped."""
    started: list[LiveCloud] = []

    def run(data_dir: Path, port: int | None = None,
            extra_env: dict[str, str] | None = None) -> LiveCloud:
        cloud = start_cloud(data_dir, port, extra_env)
        started.append(cloud)
        return cloud

    yield run
    for cloud in started:
        # SIGTERM first: a supervisor killed outright would leave its workers behind.
        if cloud.process.poll() is None:
            cloud.process.terminate()
            try:
                cloud.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                cloud.process.kill()
                cloud.process.wait(timeout=10)


def admin_session(cloud: LiveCloud) -> ks_session.Session:
    auth = v3.Password(auth_url=cloud.auth_url, username="admin", password=cloud.admin_password,
                       user_domain_name="Default", project_name="admin",
                       project_domain_name="Default")
    return ks_session.Session(auth=auth)


def connect(cloud: LiveCloud) -> Any:
    """An openstacksdk connection made from the clouds.yaml that `nimbus up` wrote."""
    config = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)])
    return openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
