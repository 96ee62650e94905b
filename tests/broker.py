"""The RabbitMQ the broker tests use (127.0.0.1:5672, guest/guest; NIMBUS_TEST_AMQP_URL
overrides): skip (or fail in CI) when absent, and a vhost of a test's own."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

AMQP_URL = os.environ.get("NIMBUS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def amqp_or_skip() -> None:
    import kombu

    try:
        with kombu.Connection(AMQP_URL, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as e:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            pytest.fail(f"RabbitMQ is not reachable at {AMQP_URL}: {e}")
        pytest.skip(f"RabbitMQ is not reachable at {AMQP_URL}: {e}")


def amqp_vhost() -> Iterator[str]:
    """A vhost of the test's own (when rabbitmqctl is at hand), so that tests using the
    fixed topics (network-plugin) never take each other's messages."""
    amqp_or_skip()
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        yield AMQP_URL
        return
    vhost = f"nimbus-test-{uuid.uuid4().hex[:8]}"
    subprocess.run([ctl, "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    subprocess.run([ctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True, timeout=60)
    try:
        scheme, rest = AMQP_URL.split("://", 1)
        yield f"{scheme}://{rest.split('/', 1)[0]}/{vhost}"
    finally:
        subprocess.run([ctl, "delete_vhost", vhost], capture_output=True, timeout=60)
