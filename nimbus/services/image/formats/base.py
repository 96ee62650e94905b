"""The machinery every format inspector shares: byte regions captured from a stream.

Data arrives in chunks of any size, once. An inspector asks for the byte ranges it needs
(``want``); each chunk fills them as it passes; when a range completes, the inspector reads
it and may ask for more (a descriptor whose place the header gives, say). A range that
starts before data already gone by can never fill: the inspector then knows less, never
more. Memory stays bounded by what inspectors ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class UnsafeImage(Exception):
    """The data is in a format whose use would reach outside it (a backing file...)."""


class NotThisFormat(Exception):
    """Raised by an inspector that finds its magic but not a valid header."""


@dataclass
class Region:
    offset: int
    length: int
    data: bytearray = field(default_factory=bytearray)
    missed: bool = False

    @property
    def complete(self) -> bool:
        return len(self.data) >= self.length

    def capture(self, chunk: bytes | memoryview, position: int) -> None:
        """Take from ``chunk`` (which starts at ``position``) the bytes this region lacks."""
        if self.complete or self.missed:
            return
        wanted = self.offset + len(self.data)
        if wanted < position:
            self.missed = True
            return
        end = min(self.offset + self.length, position + len(chunk))
        if wanted < end:
            self.data += chunk[wanted - position:end - position]


class Inspector:
    """One format. Subclasses set ``name`` and override ``start``/``on_region``/``verdicts``."""

    name = "raw"
    # The end of the stream this inspector wants to see (bytes), read at finish.
    tail_wanted = 0

    def __init__(self) -> None:
        self.regions: dict[str, Region] = {}
        self.handled: set[str] = set()
        self.rejected = False
        self.size = 0
        self.tail = b""
        self.start()

    # -- what subclasses implement ---------------------------------------------------------
    def start(self) -> None:
        """Ask for the first regions."""

    def on_region(self, name: str, data: bytes) -> None:
        """A region completed: parse it, raise NotThisFormat, or ask for more."""

    def matches(self) -> bool:
        return False

    def virtual_size(self) -> int | None:
        return None

    def safety_check(self) -> None:
        """Raise UnsafeImage when the image would make its reader open other files."""

    # -- the machinery ---------------------------------------------------------------------
    def want(self, name: str, offset: int, length: int) -> None:
        region = Region(offset, length)
        for held in self.regions.values():
            # Inside a region already held (a table's item): take it from there.
            start = offset - held.offset
            if start >= 0 and start + length <= len(held.data):
                region.data += held.data[start:start + length]
                break
        self.regions[name] = region

    def region(self, name: str) -> bytes | None:
        found = self.regions.get(name)
        return bytes(found.data) if found is not None and found.complete else None

    def feed(self, chunk: bytes | memoryview, position: int) -> None:
        if self.rejected:
            return
        try:
            self._feed(chunk, position)
        except (NotThisFormat, ValueError, IndexError):
            self.rejected = True
            self.regions.clear()

    def _feed(self, chunk: bytes | memoryview, position: int) -> None:
        pending = True
        while pending:
            pending = False
            for name, region in list(self.regions.items()):
                if name in self.handled:
                    continue
                region.capture(chunk, position)
                if region.complete:
                    self.handled.add(name)
                    before = len(self.regions)
                    self.on_region(name, bytes(region.data))
                    pending = pending or len(self.regions) != before

    def finish(self, size: int, tail: bytes) -> None:
        self.size = size
        self.tail = tail[-self.tail_wanted:] if self.tail_wanted else b""


def u16le(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 2], "little")


def u32le(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "little")


def u64le(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 8], "little")


def u32be(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "big")


def u64be(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 8], "big")
