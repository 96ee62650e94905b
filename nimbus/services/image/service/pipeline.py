"""Data on its way to a store: counted, hashed, inspected and held to byte budgets."""

from __future__ import annotations

import hashlib
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


class DataPipeline:
    """Iterate it to pass the source's chunks on; ``facts()`` once it is exhausted."""

    def __init__(self, source: Iterable[bytes], budgets: Iterable[Budget] = ()) -> None:
        self.source = source
        self.budgets = sorted(budgets, key=lambda b: b.limit)
        self.size = 0
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha512 = hashlib.sha512()
        self.detector = Detector()
        self._facts: DataFacts | None = None

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.source:
            if not chunk:
                continue
            self.size += len(chunk)
            for budget in self.budgets:
                if self.size > budget.limit:
                    raise budget.error()
            self.md5.update(chunk)
            self.sha512.update(chunk)
            self.detector.feed(chunk)
            yield chunk
        self._facts = DataFacts(self.size, self.md5.hexdigest(), self.sha512.hexdigest(),
                                self.detector.finish())

    def facts(self) -> DataFacts:
        if self._facts is None:
            raise RuntimeError("the data has not all been read")
        return self._facts
