"""The filesystem image store: all-or-nothing writes, ranged reads, moves, clean-up."""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time

import pytest

from nimbus.services.image.store import build_store
from nimbus.services.image.store.diskio import DirectStreamFile, ReadAhead, open_for_stream
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


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("size", [0, 10, 4096, 4097, (1 << 20) - 1, 1 << 20, 3 * (1 << 20) + 5])
def test_every_byte_lands_whatever_the_sizes(tmp_path, direct, size):
    """Whole buffers, a tail that isn't a whole page, and nothing at all; written past the
    page cache or through it."""
    store = FilesystemStore("local", tmp_path / "images", direct=direct)
    data = os.urandom(size)
    step = 70_001
    stored = store.add("abc", (data[i:i + step] for i in range(0, len(data), step)))
    assert stored.size == size
    assert (store.root / "abc").read_bytes() == data


def test_writes_go_past_the_page_cache_where_the_filesystem_allows(tmp_path):
    out = open_for_stream(tmp_path / "f")
    try:
        assert isinstance(out, DirectStreamFile)
        assert fcntl.fcntl(out.fd, fcntl.F_GETFL) & os.O_DIRECT
    finally:
        out.abort()


def test_a_filesystem_refusing_direct_io_gets_plain_writes(tmp_path, monkeypatch):
    real_open = os.open

    def refusing(path, flags, mode=0o777):
        if flags & os.O_DIRECT:
            real_open(path, flags & ~os.O_DIRECT, mode)  # made, then refused: as tmpfs may
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", refusing)
    store = FilesystemStore("local", tmp_path / "images")
    data = os.urandom(5 * 4096 + 3)
    store.add("abc", [data])
    assert (store.root / "abc").read_bytes() == data


def test_a_failed_disk_write_fails_the_add_and_leaves_nothing(tmp_path, monkeypatch):
    real_write = os.write

    def failing(fd, data):
        if len(data) >= 4096:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", failing)
    store = FilesystemStore("local", tmp_path / "images")
    with pytest.raises(OSError) as raised:
        store.add("abc", (os.urandom(1 << 20) for _ in range(8)))
    assert raised.value.errno == errno.ENOSPC
    assert list(store.root.iterdir()) == []


def test_the_writer_holds_a_bounded_number_of_buffers(tmp_path):
    out = DirectStreamFile(os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT | os.O_DIRECT),
                           block=4096, depth=2)
    for _ in range(100):
        out.write(os.urandom(4096))
        assert out._free.qsize() + out._full.qsize() <= 3
    assert out.finish() == 100 * 4096
    assert (tmp_path / "f").stat().st_size == 100 * 4096


def test_downloads_read_in_chunks_of_four_mebibytes(tmp_path):
    store = FilesystemStore("local", tmp_path / "images")
    store.add("big", [os.urandom(4 << 20), os.urandom((4 << 20) + 10)])
    assert [len(c) for c in store.get("big")] == [4 << 20, 4 << 20, 10]


def test_read_ahead_keeps_order_and_passes_errors_on():
    assert list(ReadAhead(iter([b"a", b"b", b"c"]), depth=1)) == [b"a", b"b", b"c"]

    def broken():
        yield b"a"
        raise OSError(errno.EIO, "Input/output error")

    reader = ReadAhead(broken())
    assert next(reader) == b"a"
    with pytest.raises(OSError):
        next(reader)
    with pytest.raises(StopIteration):
        next(reader)


def test_read_ahead_stays_a_few_chunks_ahead_and_stops_when_dropped():
    read: list[int] = []
    closed = threading.Event()

    def source():
        try:
            for n in range(1000):
                read.append(n)
                yield bytes([n % 256])
        finally:
            closed.set()

    reader = ReadAhead(source(), depth=2, patience=0.05)
    assert next(reader) == b"\x00"
    time.sleep(0.2)
    assert len(read) <= 4  # the one taken, two queued, one waiting to be
    del reader
    assert closed.wait(5)
    assert len(read) <= 4


def test_a_download_dropped_half_way_closes_its_file(tmp_path):
    store = FilesystemStore("local", tmp_path / "images", chunk_size=1 << 20)
    store.add("big", [os.urandom(8 << 20)])
    before = len(os.listdir("/proc/self/fd"))
    chunks = store.get("big")
    assert len(next(chunks)) == 1 << 20
    del chunks
    deadline = time.monotonic() + 5
    while len(os.listdir("/proc/self/fd")) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(os.listdir("/proc/self/fd")) <= before
