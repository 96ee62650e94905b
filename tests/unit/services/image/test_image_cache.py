"""The image cache in-process on SQLite: filling, serving, pruning past the size limit,
corrupt files, and what a start finds in the cache directory."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

from nimbus.kernel.runtime import Runtime
from nimbus.services.image.models import ImageCacheEntry
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.schemas.image import NewImage
from nimbus.services.image.service import ImageService
from nimbus.services.image.service.cache import CorruptCachedImage
from nimbus.services.image.service.records import Caller

OWNER = Caller("project-a", "user-a")


def make_service(runtime: Runtime, max_size: int = 10_000) -> ImageService:
    options = ImageOptions(image_cache_max_size=max_size)
    return ImageService(runtime, options, limits=lambda project, resource: None)


def active_image(service: ImageService, data: bytes) -> str:
    image_id = service.images.create(OWNER, NewImage(
        {"disk_format": "raw", "container_format": "bare"}, {})).id
    service.data.upload(OWNER, image_id, [data], len(data))
    return image_id


def download(service: ImageService, image_id: str) -> bytes:
    got = service.data.download(OWNER, service.images.get(OWNER, image_id), None)
    assert got.chunks is not None
    return b"".join(got.chunks)


def cache_now(service: ImageService, image_id: str) -> None:
    """Queue the image and let the cache worker handle it."""
    service.cache.queue_image(image_id)
    service.cache.drain()


def cached_ids(service: ImageService) -> list[str]:
    return [c.image_id for c in service.cache.state().cached]


def test_a_download_fills_the_cache_and_a_hit_is_counted(runtime):
    service = make_service(runtime)
    data = os.urandom(3000)
    image_id = active_image(service, data)
    assert download(service, image_id) == data
    assert cached_ids(service) == [image_id]
    assert (service.cache.root / image_id).read_bytes() == data
    assert download(service, image_id) == data
    assert service.cache.state().cached[0].hits == 1


def test_an_abandoned_download_caches_nothing(runtime):
    service = make_service(runtime)
    image_id = active_image(service, os.urandom(3000))
    got = service.data.download(OWNER, service.images.get(OWNER, image_id), None)
    assert got.chunks is not None
    iterator = iter(got.chunks)
    next(iterator)
    close = getattr(iterator, "close", None)
    assert close is not None
    close()
    assert cached_ids(service) == []
    assert list(service.cache.incomplete.iterdir()) == []
    assert hash_threads() == 0


def hash_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "image-md5" and t.is_alive())


def test_hash_threads_end_with_every_download(runtime):
    service = make_service(runtime, max_size=32 << 20)
    image_id = active_image(service, os.urandom(9 << 20))  # three chunks of a read
    for _ in range(3):
        download(service, image_id)
    partial = service.data.download(OWNER, service.images.get(OWNER, image_id), None)
    assert partial.chunks is not None
    iterator = iter(partial.chunks)
    next(iterator)
    del iterator, partial
    time.sleep(0.1)
    assert hash_threads() == 0


def test_past_the_size_limit_the_least_recently_used_go(runtime):
    service = make_service(runtime, max_size=7000)
    first, second, third = (active_image(service, os.urandom(3000)) for _ in range(3))
    cache_now(service, first)
    cache_now(service, second)
    download(service, first)  # first is now the most recently used
    cache_now(service, third)
    assert sorted(cached_ids(service)) == sorted([first, third])
    assert not (service.cache.root / second).exists()


def test_an_image_larger_than_the_cache_is_never_cached(runtime):
    service = make_service(runtime, max_size=1000)
    image_id = active_image(service, os.urandom(3000))
    assert service.cache.prefetch(image_id) is False
    cache_now(service, image_id)
    assert service.cache.state().queued == [] and cached_ids(service) == []


def test_a_corrupt_cached_file_cuts_the_download_short_and_is_dropped(runtime):
    service = make_service(runtime)
    data = os.urandom(3000)
    image_id = active_image(service, data)
    cache_now(service, image_id)
    (service.cache.root / image_id).write_bytes(bytes(len(data)))
    got = service.data.download(OWNER, service.images.get(OWNER, image_id), None)
    assert got.chunks is not None
    with pytest.raises(CorruptCachedImage):
        b"".join(got.chunks)
    assert cached_ids(service) == []
    assert download(service, image_id) == data


def test_data_read_wrong_from_the_store_is_not_cached(runtime):
    service = make_service(runtime)
    image_id = active_image(service, os.urandom(3000))
    (service.store.root / image_id).write_bytes(b"y" * 3000)  # type: ignore[attr-defined]
    cache_now(service, image_id)
    assert cached_ids(service) == [] and service.cache.state().queued == []


def test_clear_targets(runtime):
    service = make_service(runtime)
    cached, queued = active_image(service, b"a" * 100), active_image(service, b"b" * 100)
    cache_now(service, cached)
    with service.db.session() as s:
        s.add(ImageCacheEntry(node=service.node, image_id=queued, state="queued", hits=0))
    service.cache.clear("queue")
    assert service.cache.state().queued == [] and cached_ids(service) == [cached]
    service.cache.clear("cache")
    assert cached_ids(service) == [] and not (service.cache.root / cached).exists()


def test_a_start_sweeps_what_no_record_backs(runtime):
    service = make_service(runtime)
    data = os.urandom(500)
    image_id = active_image(service, data)
    download(service, image_id)
    service.cache.incomplete.mkdir(parents=True, exist_ok=True)
    (service.cache.incomplete / "half-written").write_bytes(b"x")
    (service.cache.root / "stray").write_bytes(b"x")
    restarted = make_service(runtime)
    assert sorted(p.name for p in restarted.cache.root.iterdir()) == [image_id, "incomplete"]
    assert list(restarted.cache.incomplete.iterdir()) == []
    (restarted.cache.root / image_id).unlink()
    again = make_service(runtime)
    assert cached_ids(again) == []
    assert hashlib.md5(download(again, image_id)).hexdigest() == \
        hashlib.md5(data).hexdigest()


def test_a_reply_never_sent_leaves_nothing_and_counts_no_hit(runtime):
    service = make_service(runtime)
    data = os.urandom(2000)
    image_id = active_image(service, data)
    unsent = service.data.download(OWNER, service.images.get(OWNER, image_id), None)
    del unsent  # what a HEAD request does with the reply's body
    assert not service.cache.incomplete.exists() or \
        list(service.cache.incomplete.iterdir()) == []
    assert download(service, image_id) == data
    service.data.download(OWNER, service.images.get(OWNER, image_id), None)
    assert service.cache.state().cached[0].hits == 0
