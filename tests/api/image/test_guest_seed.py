"""`nimbus up` offers the built test guest as the public image cirros-nimbus, once."""

from __future__ import annotations

import shutil
import subprocess

import openstack
import openstack.config
import pytest

from tests.conftest import start_cloud


@pytest.fixture(scope="module")
def guest_file(tmp_path_factory):
    if shutil.which("qemu-img") is None:
        pytest.fail("qemu-img is missing: scripts/test installs qemu-utils")
    path = tmp_path_factory.mktemp("guest") / "guest.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(path), "64M"], check=True,
                   capture_output=True)
    return path


def images_named(clouds_yaml, name):
    config = openstack.config.OpenStackConfig(config_files=[str(clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    try:
        return [(i.id, i.status, i.visibility, i.disk_format, i.virtual_size)
                for i in conn.image.images(name=name)]
    finally:
        conn.close()


def test_guest_image_is_registered_once(tmp_path, guest_file):
    data = tmp_path / "data"
    env = {"NIMBUS_GUEST_IMAGE": str(guest_file)}
    live = start_cloud(data, extra_env=env)
    try:
        first = images_named(live.clouds_yaml, "cirros-nimbus")
    finally:
        live.stop()
    assert len(first) == 1
    _id, status, visibility, disk_format, virtual_size = first[0]
    assert (status, visibility, disk_format) == ("active", "public", "qcow2")
    assert virtual_size == 64 * 1024 * 1024
    again = start_cloud(data, extra_env=env)
    try:
        assert images_named(again.clouds_yaml, "cirros-nimbus") == first
    finally:
        again.stop()


def test_no_image_when_nothing_was_built(tmp_path):
    live = start_cloud(tmp_path / "data", extra_env={"NIMBUS_GUEST_IMAGE": str(tmp_path / "x")})
    try:
        assert images_named(live.clouds_yaml, "cirros-nimbus") == []
    finally:
        live.stop()
