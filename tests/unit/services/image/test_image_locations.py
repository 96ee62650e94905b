"""Locations in-process: which URLs name data of the store, and the add-location body."""

from __future__ import annotations

import uuid

import pytest

from nimbus.config import Settings
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.image.errors import BadRequest
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.schemas.locations import check_hash_value, parse_add_location
from nimbus.services.image.service import ImageService


@pytest.fixture
def service(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)
    yield ImageService(runtime, ImageOptions(), limits=lambda project, resource: None)
    runtime.close()


def test_only_files_of_the_store_directory_are_locations(service, tmp_path):
    root = service.store.root  # type: ignore[attr-defined]
    root.mkdir(parents=True, exist_ok=True)
    (root / "svc-data").write_bytes(b"x")
    (root / "link").symlink_to(tmp_path / "outside")
    (tmp_path / "outside").write_bytes(b"secret")
    own, other = str(uuid.uuid4()), str(uuid.uuid4())
    (root / own).write_bytes(b"x")
    (root / other).write_bytes(b"x")
    assert service.locations.store_key((root / "svc-data").as_uri(), own) == "svc-data"
    assert service.locations.store_key((root / own).as_uri(), own) == own
    for url in [(root / "link").as_uri(), (root / "missing").as_uri(),
                (tmp_path / "outside").as_uri(), (root / "staging").as_uri(),
                (root / other).as_uri(), f"file://otherhost{root}/svc-data",
                "swift://container/object", (root / ".." / "images" / "svc-data").as_uri()]:
        with pytest.raises(BadRequest):
            service.locations.store_key(url, own)


def test_the_body_is_glances_add_location_schema():
    new = parse_add_location({"url": "file:///x", "validation_data": {
        "os_hash_algo": "sha256", "os_hash_value": "ab" * 32}})
    assert (new.url, new.hash_algo) == ("file:///x", "sha256")
    assert parse_add_location({"url": "file:///x"}).hash_algo == "sha512"
    for body in [[], {"url": None}, {"url": "x", "validation_data": {"os_hash_algo": "md5"}}]:
        with pytest.raises(BadRequest):
            parse_add_location(body)
    with pytest.raises(BadRequest):
        check_hash_value({"os_hash_algo": "sha1", "os_hash_value": "ab" * 32})
    check_hash_value({"os_hash_algo": "sha1", "os_hash_value": "ab" * 20})
