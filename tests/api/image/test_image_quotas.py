"""Image quotas from identity's unified limits, with Glance's resource names: 413 when over."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.image.conftest import JSON_FAULTS, stored_files

MIB = 1 << 20
RESOURCES = ("image_size_total", "image_stage_total", "image_count_total",
             "image_count_uploading")


@pytest.fixture
def limited(admin, project_user) -> Iterator[Callable[..., Any]]:
    """A member of a fresh project with the given image limits (defaults stay unlimited)."""
    service = next(admin.identity.services(type="image"))
    registered = [admin.identity.create_registered_limit(
        service_id=service.id, resource_name=name, default_limit=1_000_000)
        for name in RESOURCES]
    limits: list[Any] = []

    def make(**resource_limits: int) -> Any:
        user = project_user()
        for name, value in resource_limits.items():
            limits.append(admin.identity.create_limit(
                service_id=service.id, project_id=user.project.id, resource_name=name,
                resource_limit=value))
        return user

    yield make
    for limit in limits:
        admin.identity.delete_limit(limit)
    for limit in registered:
        admin.identity.delete_registered_limit(limit)


def test_image_count_total(limited, make_image, image_url):
    user = limited(image_count_total=2)
    make_image(conn=user.conn)
    make_image(conn=user.conn)
    refused = user.session.post(f"{image_url}/images", json={"name": "third"},
                                headers=JSON_FAULTS, raise_exc=False)
    assert refused.status_code == 413
    assert "image_count_total" in refused.json()["message"]
    assert len(list(user.conn.image.images())) >= 2


def test_image_size_total_declared_and_streamed(limited, make_image, image_url, cloud):
    user = limited(image_size_total=1)
    declared = make_image(conn=user.conn)
    response = user.conn.image.get_image(declared.id).upload(user.conn.image,
                                                             data=os.urandom(3 * MIB))
    assert response.status_code == 413
    streamed = make_image(conn=user.conn)
    chunks = (os.urandom(64 * 1024) for _ in range(40))  # 2.5 MiB, no declared size
    response = user.session.put(f"{image_url}/images/{streamed.id}/file", data=chunks,
                                headers={"Content-Type": "application/octet-stream"},
                                raise_exc=False)
    assert response.status_code == 413
    for image in (declared, streamed):
        assert user.conn.image.get_image(image.id).status == "queued"
        assert not [f for f in stored_files(cloud) if image.id in f]
    small = make_image(conn=user.conn, data=os.urandom(MIB // 2))
    assert user.conn.image.get_image(small.id).status == "active"


def test_image_stage_total(limited, make_image, image_url, cloud):
    user = limited(image_stage_total=1)
    image = make_image(conn=user.conn)
    response = user.session.put(f"{image_url}/images/{image.id}/stage",
                                data=(os.urandom(MIB) for _ in range(3)),
                                headers={"Content-Type": "application/octet-stream"},
                                raise_exc=False)
    assert response.status_code == 413
    assert user.conn.image.get_image(image.id).status == "queued"
    assert not [f for f in stored_files(cloud) if image.id in f]


def test_image_count_uploading(limited, make_image):
    user = limited(image_count_uploading=0)
    image = make_image(conn=user.conn)
    response = user.conn.image.get_image(image.id).upload(user.conn.image, data=b"x" * 10)
    assert response.status_code == 413
    assert user.conn.image.get_image(image.id).status == "queued"


def test_usage_report(limited, make_image, image_url):
    user = limited(image_count_total=5, image_size_total=10)
    make_image(conn=user.conn, data=os.urandom(2 * MIB))
    usage = user.session.get(f"{image_url}/info/usage").json()["usage"]
    assert usage["image_count_total"] == {"limit": 5, "usage": 1}
    assert usage["image_size_total"] == {"limit": 10, "usage": 2}
    assert usage["image_stage_total"]["usage"] == 0
