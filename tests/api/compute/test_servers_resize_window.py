"""[compute] resize_confirm_window: a resize left in VERIFY_RESIZE confirms itself."""

from __future__ import annotations

import io

import openstack
import openstack.config
import pytest

from tests.conftest import start_cloud


@pytest.fixture(scope="module")
def quick_confirm_cloud(tmp_path_factory):
    live = start_cloud(tmp_path_factory.mktemp("resize-window") / "data",
                       extra_env={"NIMBUS_COMPUTE__RESIZE_CONFIRM_WINDOW": "1"})
    config = openstack.config.OpenStackConfig(config_files=[str(live.clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    yield conn
    conn.close()
    live.stop()


def test_a_resize_confirms_itself_after_the_window(quick_confirm_cloud):
    conn = quick_confirm_cloud
    image = conn.image.create_image(name="w", disk_format="raw", container_format="bare",
                                    data=io.BytesIO(b"\0" * 4096), allow_duplicates=True)
    server = conn.compute.create_server(name="w", image_id=image.id, flavor_id="42",
                                        networks="none")
    conn.compute.wait_for_server(server, wait=30, interval=0.3)
    conn.compute.resize_server(server, "84")
    conn.compute.wait_for_server(server, status="VERIFY_RESIZE", wait=30, interval=0.2)
    done = conn.compute.wait_for_server(server, status="ACTIVE", wait=30, interval=0.3)
    assert done.flavor["original_name"] == "m1.micro"
    migrations = conn.compute.get("/os-migrations", microversion="2.59")
    if migrations.status_code == 200:        # os-migrations is compute-resources' API
        statuses = [m["status"] for m in migrations.json()["migrations"]
                    if m["instance_uuid"] == server.id]
        assert statuses == ["confirmed"]
