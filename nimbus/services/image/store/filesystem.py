"""A store in a local directory: one file per image, written to a temporary name first."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from nimbus.services.image.store import ImageStore, StoredData
from nimbus.services.image.store.diskio import ReadAhead, open_for_stream

# Reads go out in 4 MiB chunks: each chunk costs a hop to a worker thread and one to the
# event loop (64 KiB ones held a download to half of what the disk reads; 4 MiB ones need
# a third of the CPU 1 MiB ones do). READ_AHEAD chunks at most are read before they are sent.
CHUNK = 4 << 20
READ_AHEAD = 3
SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
PARTIAL = ".part"


class FilesystemStore:
    def __init__(self, store_id: str, root: str | Path, chunk_size: int = CHUNK,
                 direct: bool = True) -> None:
        self.store_id = store_id
        self.root = Path(root)
        self.chunk_size = chunk_size
        # Writes go past the page cache where the filesystem allows it (see diskio.py).
        self.direct = direct

    def path(self, location: str) -> Path:
        if not SAFE_KEY.match(location):
            raise ValueError(f"not a key of this store: {location!r}")
        return self.root / location

    def add(self, key: str, chunks: Iterable[bytes]) -> StoredData:
        final = self.path(key)
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f".{key}.{uuid.uuid4().hex}{PARTIAL}"
        try:
            out = open_for_stream(partial, self.direct)
            try:
                for chunk in chunks:
                    out.write(chunk)
            except BaseException:
                out.abort()
                raise
            size = out.finish()
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return StoredData(key, size)

    def get(self, location: str, offset: int = 0, length: int | None = None
            ) -> Iterator[bytes]:
        handle = open(self.path(location), "rb")  # noqa: SIM115 - closed by the generator
        return ReadAhead(_read(handle, offset, length, self.chunk_size), READ_AHEAD)

    def delete(self, location: str) -> None:
        self.path(location).unlink(missing_ok=True)

    def take(self, source: ImageStore, location: str, key: str) -> StoredData:
        if isinstance(source, FilesystemStore):
            origin = source.path(location)
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                os.replace(origin, self.path(key))
                return StoredData(key, self.path(key).stat().st_size)
            except OSError as exc:
                if exc.errno != 18:  # EXDEV: another filesystem; copy instead
                    raise
        stored = self.add(key, source.get(location))
        source.delete(location)
        return stored

    def sweep_partials(self, older_than: float) -> int:
        """Remove writes left by a process that died mid-upload; returns how many."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for entry in self.root.glob(f".*{PARTIAL}"):
            if entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


def _read(handle: BinaryIO, offset: int, length: int | None, chunk: int) -> Iterator[bytes]:
    with handle:
        if hasattr(os, "posix_fadvise"):
            # Whole-file reads: let the kernel read ahead further than it would by default.
            os.posix_fadvise(handle.fileno(), offset, length or 0, os.POSIX_FADV_SEQUENTIAL)
        handle.seek(offset)
        left = length
        while left is None or left > 0:
            data = handle.read(chunk if left is None else min(chunk, left))
            if not data:
                return
            if left is not None:
                left -= len(data)
            yield data
