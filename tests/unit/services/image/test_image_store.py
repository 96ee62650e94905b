"""The filesystem image store: all-or-nothing writes, ranged reads, moves, clean-up."""

from __future__ import annotations

import os
import time

import pytest

from nimbus.services.image.store import build_store
from nimbus.services.image.store.filesystem import FilesystemStore


@pytest.fixture
def store(tmp_path):
    return FilesystemStore("local", tmp_path / "images", chunk_size=1000)


def test_add_get_delete(store):
    data = os.urandom(5500)
    stored = store.add("abc", [data[:3000], data[3000:]])
    assert stored.size == 5500 and stored.location == "abc"
    chunks = list(store.get(stored.location))
    assert b"".join(chunks) == data and max(len(c) for c in chunks) == 1000
    assert b"".join(store.get("abc", 100, 50)) == data[100:150]
    assert b"".join(store.get("abc", 5000)) == data[5000:]
    store.delete("abc")
    store.delete("abc")  # already gone: fine
    assert list(store.root.iterdir()) == []


def test_a_failed_write_leaves_nothing(store):
    def broken():
        yield b"x" * 100
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        store.add("abc", broken())
    assert list(store.root.iterdir()) == []
    store.add("abc", [b"old"])
    with pytest.raises(ConnectionError):
        store.add("abc", broken())
    assert b"".join(store.get("abc")) == b"old"  # the previous data is untouched


def test_keys_cannot_leave_the_store(store):
    for key in ("../x", "a/b", ".hidden", ""):
        with pytest.raises(ValueError):
            store.add(key, [b"x"])


def test_take_moves_staged_data_in(store, tmp_path):
    staging = FilesystemStore("staging", tmp_path / "images" / "staging")
    staging.add("img", [b"staged bytes"])
    stored = store.take(staging, "img", "img")
    assert stored.size == 12 and b"".join(store.get("img")) == b"staged bytes"
    assert not (staging.root / "img").exists()


def test_sweep_removes_only_old_partial_writes(store):
    store.root.mkdir(parents=True)
    old = store.root / ".a.1234.part"
    young = store.root / ".b.5678.part"
    for path in (old, young):
        path.write_bytes(b"half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    store.add("kept", [b"data"])
    assert store.sweep_partials(older_than=3600) == 1
    assert sorted(p.name for p in store.root.iterdir()) == [".b.5678.part", "kept"]


def test_build_store_knows_its_drivers(tmp_path):
    assert build_store("file", "local", str(tmp_path)).store_id == "local"
    with pytest.raises(ValueError):
        build_store("tape", "x", str(tmp_path))


def test_writeback_starts_window_by_window(tmp_path, monkeypatch):
    advice: list[tuple[int, int, int]] = []
    monkeypatch.setattr(os, "posix_fadvise",
                        lambda fd, offset, length, how: advice.append((offset, length, how)))
    store = FilesystemStore("local", tmp_path / "images", writeback=1000)
    data = os.urandom(3500)
    store.add("abc", [data[i:i + 600] for i in range(0, len(data), 600)])
    assert b"".join(store.get("abc")) == data
    assert advice == [(0, 1200, os.POSIX_FADV_DONTNEED), (1200, 1200, os.POSIX_FADV_DONTNEED),
                      (2400, 1100, os.POSIX_FADV_DONTNEED)]


def test_downloads_read_in_mebibytes(tmp_path):
    store = FilesystemStore("local", tmp_path / "images")
    store.add("big", [os.urandom(1 << 20), os.urandom((1 << 20) + 10)])
    assert [len(c) for c in store.get("big")] == [1 << 20, 1 << 20, 10]
