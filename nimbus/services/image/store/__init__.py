"""Where image data lives. One small interface per kind of store (DESIGN: drivers).

A store keeps blobs under keys it is given (image ids) and hands back a location string
that only it understands. ``add`` is all or nothing: an interrupted write leaves nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple, Protocol


class StoredData(NamedTuple):
    location: str
    size: int


class ImageStore(Protocol):
    store_id: str

    def add(self, key: str, chunks: Iterable[bytes]) -> StoredData:
        """Write every chunk under ``key``; nothing is left behind if ``chunks`` raises."""
        ...

    def get(self, location: str, offset: int = 0, length: int | None = None
            ) -> Iterator[bytes]:
        """The data, or the ``length`` bytes from ``offset``, in chunks."""
        ...

    def delete(self, location: str) -> None:
        """Forget the data; a location already gone is not an error."""
        ...

    def take(self, source: ImageStore, location: str, key: str) -> StoredData:
        """Move data held by ``source`` (the staging area) in under ``key``."""
        ...


def build_store(kind: str, store_id: str, root: str) -> ImageStore:
    """The store driver a configuration names."""
    if kind == "file":
        from nimbus.services.image.store.filesystem import FilesystemStore

        return FilesystemStore(store_id, root)
    raise ValueError(f"unknown image store driver {kind!r}")
