"""Disk I/O for the file store: streams written past the page cache, files read ahead.

Writing a stream to a new file past the page cache (O_DIRECT), with the disk kept busy.

Why not plain buffered writes: on the virtual disks we run on, buffered writes of a big
upload cost 2-7 CPU-seconds a GiB in the kernel (dirty-page throttling, and writeback that
``posix_fadvise`` starts in the caller), and the fsync at the end still waits for most of
the data. O_DIRECT writes from page-aligned buffers cost under 1 CPU-second a GiB and run at
the disk's speed. Full buffers go to a writer thread, so the disk writes one buffer while
the caller fills the next.

Where the filesystem refuses O_DIRECT (tmpfs, some FUSE), ``open_for_stream`` falls back to
a plain file: the same calls, buffered writes, fsync at the end.

Reading: ``ReadAhead`` reads the next chunks in a thread of its own while the caller sends
the last one on, so the disk and the network work at the same time (one after the other,
a download from a cold cache ran at a third of what the disk reads).
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Direct I/O wants buffers, offsets and lengths aligned to the logical block size; a page
# suits every disk we meet.
ALIGN = 4096
BLOCK = 1 << 20


class StreamFile:
    """A new file written front to back: ``write`` any number of times, then ``finish``
    (all data on the disk) or ``abort`` (stop quickly; the caller removes the file)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        _write_all(self.fd, memoryview(data))
        self.size += len(data)

    def finish(self) -> int:
        try:
            os.fsync(self.fd)
        finally:
            os.close(self.fd)
        return self.size

    def abort(self) -> None:
        os.close(self.fd)


class DirectStreamFile(StreamFile):
    """Data is copied into page-aligned buffers of ``block`` bytes; each full one goes to a
    writer thread. At most ``depth`` full buffers wait for it, so memory stays at
    (depth + 2) * block whatever the file's size."""

    def __init__(self, fd: int, block: int = BLOCK, depth: int = 3) -> None:
        super().__init__(fd)
        self.block = block
        self._free: queue.Queue[mmap.mmap] = queue.Queue()
        for _ in range(depth + 1):
            self._free.put(mmap.mmap(-1, block))
        self._full: queue.Queue[tuple[mmap.mmap, int] | None] = queue.Queue()
        self._error: OSError | None = None
        self._buffer = mmap.mmap(-1, block)
        self._fill = 0
        self._writer = threading.Thread(target=self._drain, name="image-write", daemon=True)
        self._writer.start()

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        self.size += len(view)
        while view:
            take = min(len(view), self.block - self._fill)
            self._buffer[self._fill:self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == self.block:
                self._raise_error()
                self._full.put((self._buffer, self.block))
                self._buffer, self._fill = self._free.get(), 0

    def _drain(self) -> None:
        while (item := self._full.get()) is not None:
            buffer, length = item
            if self._error is None:
                try:
                    _write_all(self.fd, memoryview(buffer)[:length])
                except OSError as exc:
                    self._error = exc
            self._free.put(buffer)

    def _stop_writer(self) -> None:
        if self._writer.is_alive():
            self._full.put(None)
            self._writer.join()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def finish(self) -> int:
        try:
            self._stop_writer()
            self._raise_error()
            aligned = self._fill - self._fill % ALIGN
            tail = memoryview(self._buffer)[:self._fill]
            if aligned:
                _write_all(self.fd, tail[:aligned])
            if aligned < self._fill:
                # The last bytes are not a whole block: write them through the page cache.
                flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
                fcntl.fcntl(self.fd, fcntl.F_SETFL, flags & ~os.O_DIRECT)
                _write_all(self.fd, tail[aligned:])
            tail.release()
        except BaseException:
            self.abort()
            raise
        return super().finish()

    def abort(self) -> None:
        self._stop_writer()
        os.close(self.fd)


def open_for_stream(path: Path, direct: bool = True) -> StreamFile:
    """Create ``path`` (which must not exist) for writing a stream into."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    if direct and hasattr(os, "O_DIRECT"):
        try:
            return DirectStreamFile(os.open(path, flags | os.O_DIRECT, 0o600))
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            # Refused: the filesystem may have made the file before saying so.
            path.unlink(missing_ok=True)
    return StreamFile(os.open(path, flags, 0o600))


_END = object()


class ReadAhead:
    """Iterates ``source`` in a thread of its own, at most ``depth`` chunks ahead of the
    consumer. A consumer that stops early simply drops it: the thread notices within
    ``patience`` seconds, stops, and closes ``source``."""

    def __init__(self, source: Iterator[bytes], depth: int = 4, patience: float = 0.5
                 ) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        # The thread holds the queue, the event and the source, never this object, so
        # dropping the object is what tells the thread to stop (__del__).
        self._thread = threading.Thread(
            target=_read_into, args=(source, self._queue, self._stop, patience),
            name="image-read", daemon=True)
        self._started = self._finished = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._finished:
            raise StopIteration
        if not self._started:
            self._thread.start()
            self._started = True
        item = self._queue.get()
        if item is _END:
            self._finished = True
            raise StopIteration
        if isinstance(item, BaseException):
            self._finished = True
            raise item
        chunk: bytes = item
        return chunk

    def __del__(self) -> None:
        self._stop.set()


def _read_into(source: Iterator[bytes], out: queue.Queue[Any], stop: threading.Event,
               patience: float) -> None:
    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=patience)
                return True
            except queue.Full:
                continue
        return False

    try:
        for chunk in source:
            if not put(chunk):
                return
        put(_END)
    except Exception as exc:  # handed to the consumer, raised there
        put(exc)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        written = os.write(fd, view)
        view = view[written:]
