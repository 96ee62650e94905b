"""Data on its way to a store: counted, hashed, inspected and held to byte budgets."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from nimbus.kernel.errors import CloudError
from nimbus.services.image.formats import Detection, Detector


@dataclass(frozen=True)
class Budget:
    """At most ``limit`` bytes; past it, ``error()`` is raised."""

    limit: int
    error: Callable[[], CloudError]


@dataclass(frozen=True)
class DataFacts:
    """What streaming the data taught: its size, hashes and format."""

    size: int
    checksum: str
    os_hash_value: str
    detection: Detection
    os_hash_algo: str = "sha512"

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "checksum": self.checksum,
                "os_hash_value": self.os_hash_value, "os_hash_algo": self.os_hash_algo,
                "detection": self.detection.as_dict()}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> DataFacts:
        return cls(int(doc["size"]), str(doc["checksum"]), str(doc["os_hash_value"]),
                   Detection.from_dict(doc.get("detection") or {}),
                   str(doc.get("os_hash_algo") or "sha512"))


# Bytes handed to the hash threads at a time: blocks of a mebibyte keep the hand-offs rare
# (the GIL is taken back once a block) and the bytes in flight few.
HASH_BLOCK = 1 << 20


class HashThread(threading.Thread):
    """One digest of a stream, computed in a thread of its own from blocks given in order.
    hashlib lets go of the GIL while it hashes, so md5 and sha512 each get a CPU while the
    data goes on to the store; ``depth`` blocks at most wait their turn."""

    def __init__(self, algorithm: str, depth: int = 2) -> None:
        super().__init__(name=f"image-{algorithm}", daemon=True)
        self.digest = hashlib.new(algorithm, usedforsecurity=False)
        self.blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self.start()

    def run(self) -> None:
        while (block := self.blocks.get()) is not None:
            self.digest.update(block)

    def update(self, block: bytes) -> None:
        self.blocks.put(block)

    def stop(self) -> None:
        if self.is_alive():
            self.blocks.put(None)
            self.join()

    def hexdigest(self) -> str:
        self.stop()
        return self.digest.hexdigest()


class DataPipeline:
    """Iterate it to pass the source's chunks on; ``facts()`` once it is exhausted."""

    def __init__(self, source: Iterable[bytes], budgets: Iterable[Budget] = (),
                 hash_block: int = HASH_BLOCK) -> None:
        self.source = source
        self.budgets = sorted(budgets, key=lambda b: b.limit)
        self.hash_block = hash_block
        self.size = 0
        self.detector = Detector()
        self._facts: DataFacts | None = None

    def __iter__(self) -> Iterator[bytes]:
        md5, sha512 = HashThread("md5"), HashThread("sha512")
        pending: list[bytes] = []
        held = 0
        try:
            for chunk in self.source:
                if not chunk:
                    continue
                self.size += len(chunk)
                for budget in self.budgets:
                    if self.size > budget.limit:
                        raise budget.error()
                pending.append(chunk)
                held += len(chunk)
                if held >= self.hash_block:
                    _hash(pending[0] if len(pending) == 1 else b"".join(pending), md5, sha512)
                    pending, held = [], 0
                self.detector.feed(chunk)
                yield chunk
            _hash(b"".join(pending), md5, sha512)
            self._facts = DataFacts(self.size, md5.hexdigest(), sha512.hexdigest(),
                                    self.detector.finish())
        finally:
            md5.stop()
            sha512.stop()

    def facts(self) -> DataFacts:
        if self._facts is None:
            raise RuntimeError("the data has not all been read")
        return self._facts


def _hash(block: bytes, *threads: HashThread) -> None:
    for thread in threads:
        thread.update(block)
