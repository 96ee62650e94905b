"""The stores of a cloud (Glance's enabled_backends): the built-in ``local`` store in the data
dir, the file stores the settings add, which one is the default, and which hold an image.

An image's ``store`` column lists the stores holding its data, comma-separated and sorted
(what Glance shows as the image's ``stores``); every file store keeps it under the same key,
the image's ``location``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbus.kernel.errors import CloudError
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.store import ImageStore, build_store
from nimbus.services.image.store.filesystem import CHUNK

STORE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
# The image table's ``store`` column holds every store id at once.
STORE_LIST_WIDTH = 64


@dataclass(frozen=True)
class StoreEntry:
    id: str
    description: str
    driver: str
    directory: Path
    store: ImageStore


def split_stores(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


def join_stores(ids: Iterable[str], weights: Mapping[str, int] | None = None) -> str | None:
    """The ``stores`` field: heaviest store first (Glance's store weights), then by id."""
    weight = weights or {}
    joined = ",".join(sorted(set(ids), key=lambda i: (-weight.get(i, 0), i)))
    return joined or None


def parse_weights(text: str) -> dict[str, int]:
    """``"fast=100, cheap=10"`` -> {"fast": 100, "cheap": 10}."""
    weights: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        store_id, sep, value = (v.strip() for v in part.partition("="))
        if not sep or not value.lstrip("-").isdigit():
            raise ValueError(f"image store weight {part!r}: want id=integer")
        weights[store_id] = int(value)
    return weights


def parse_store_setting(text: str, data_dir: Path) -> list[tuple[str, Path]]:
    """``"fast=/srv/fast, cheap=cheap"`` -> [(id, directory)]; relative directories are
    inside the data dir."""
    found: list[tuple[str, Path]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        store_id, sep, directory = (v.strip() for v in part.partition("="))
        if not sep or not directory or not STORE_ID.match(store_id):
            raise ValueError(f"image store setting {part!r}: want id=directory, the id of "
                             "letters, digits, '-' and '_' (at most 32)")
        path = Path(directory).expanduser()
        found.append((store_id, path if path.is_absolute() else data_dir / path))
    return found


class Stores:
    def __init__(self, options: ImageOptions, data_dir: Path, images_root: Path) -> None:
        builtin = build_store(options.store_driver, options.store_id, str(images_root))
        self.entries: dict[str, StoreEntry] = {options.store_id: StoreEntry(
            options.store_id, options.store_description, options.store_driver, images_root,
            builtin)}
        for store_id, directory in parse_store_setting(options.stores, data_dir):
            if store_id in self.entries:
                raise ValueError(f"image store {store_id!r} is configured twice")
            if directory.resolve() in {e.directory.resolve() for e in self.entries.values()}:
                raise ValueError(f"image store {store_id!r} shares {directory} with another")
            self.entries[store_id] = StoreEntry(
                store_id, f"File store {store_id}", "file", directory,
                build_store("file", store_id, str(directory)))
        if options.default_store not in self.entries:
            raise ValueError(f"default_store {options.default_store!r} is not a store; "
                             f"stores: {', '.join(self.entries)}")
        if len(",".join(self.entries)) > STORE_LIST_WIDTH:
            raise ValueError("the ids of the image stores are too long together "
                             f"(at most {STORE_LIST_WIDTH} characters with commas)")
        self.default_id = options.default_store
        self.weights = parse_weights(options.store_weights)
        unknown = set(self.weights) - set(self.entries)
        if unknown:
            raise ValueError(f"store_weights names unknown stores: {', '.join(sorted(unknown))}")

    @property
    def default(self) -> ImageStore:
        return self.entries[self.default_id].store

    @property
    def ids(self) -> list[str]:
        return list(self.entries)

    def get(self, store_id: str) -> ImageStore:
        entry = self.entries.get(store_id)
        if entry is None:
            raise KeyError(store_id)
        return entry.store

    def require(self, store_ids: Iterable[str], error: Callable[[str], CloudError]) -> list[str]:
        """The ids, each a configured store, else ``error`` naming the first unknown one."""
        wanted = list(store_ids)
        for store_id in wanted:
            if not isinstance(store_id, str) or store_id not in self.entries:
                raise error(str(store_id))
        return wanted

    def holding(self, store_field: str | None) -> list[tuple[str, ImageStore]]:
        """The configured stores an image's data is in, the default one first."""
        ids = split_stores(store_field)
        ids.sort(key=lambda i: i != self.default_id)
        return [(i, self.entries[i].store) for i in ids if i in self.entries]

    def all(self) -> list[ImageStore]:
        return [entry.store for entry in self.entries.values()]

    # -- discovery ---------------------------------------------------------------------
    def info(self) -> list[dict[str, Any]]:
        shown = []
        for entry in self.entries.values():
            item: dict[str, Any] = {"id": entry.id, "description": entry.description}
            if entry.id == self.default_id:
                item["default"] = "true"
            if self.weights:
                item["weight"] = self.weights.get(entry.id, 0)
            shown.append(item)
        return shown

    def detail(self) -> list[dict[str, Any]]:
        shown = []
        for item, entry in zip(self.info(), self.entries.values(), strict=True):
            shown.append({**item, "type": entry.driver,
                          "weight": self.weights.get(entry.id, 0), "properties": {
                "datadir": str(entry.directory), "chunk_size": CHUNK,
                "thin_provisioning": False}})
        return shown
