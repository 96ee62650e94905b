"""Disk image formats, recognised while the data streams by.

``Detector`` feeds every chunk to one inspector per format; at the end it tells which format
the data is in (``raw`` when none matches), its virtual size, and runs that format's safety
checks. ``judge`` then applies Glance's rules to what the image claims to be.
"""

from __future__ import annotations

from dataclasses import dataclass

from nimbus.services.image.formats.base import Inspector, UnsafeImage
from nimbus.services.image.formats.containers import Vhdx, Vmdk
from nimbus.services.image.formats.disks import Iso, Qcow2, Qed, Vdi, Vhd

INSPECTORS: tuple[type[Inspector], ...] = (Qcow2, Vmdk, Vhd, Vhdx, Vdi, Iso, Qed)
# Disk formats whose content can be recognised; the others (ami, ari, aki, ploop) can't.
INSPECTABLE = frozenset({"raw"} | {cls.name for cls in INSPECTORS})
TAIL = max(cls.tail_wanted for cls in INSPECTORS)


class FormatMismatch(Exception):
    pass


@dataclass(frozen=True)
class Detection:
    """What the data turned out to be."""

    format: str
    virtual_size: int | None
    # Why the data is unsafe to hand to a hypervisor, or None.
    unsafe: str | None
    ambiguous: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"format": self.format, "virtual_size": self.virtual_size,
                "unsafe": self.unsafe, "ambiguous": list(self.ambiguous)}

    @classmethod
    def from_dict(cls, doc: dict[str, object]) -> Detection:
        size = doc.get("virtual_size")
        unsafe = doc.get("unsafe")
        return cls(str(doc.get("format") or "raw"),
                   int(size) if isinstance(size, int) else None,
                   str(unsafe) if unsafe else None,
                   tuple(str(f) for f in doc.get("ambiguous") or ()))  # type: ignore[attr-defined]


class Detector:
    """Feed it every chunk, in order; then ``finish()``."""

    def __init__(self) -> None:
        self.inspectors = [cls() for cls in INSPECTORS]
        self.position = 0
        self.tail = bytearray()

    def feed(self, chunk: bytes) -> None:
        for inspector in self.inspectors:
            inspector.feed(chunk, self.position)
        self.position += len(chunk)
        self.tail += chunk[-TAIL:]
        del self.tail[:-TAIL]

    def finish(self) -> Detection:
        for inspector in self.inspectors:
            inspector.finish(self.position, bytes(self.tail))
        found = [i for i in self.inspectors if not i.rejected and i.matches()]
        if not found:
            return Detection("raw", self.position, None)
        unsafe = next((reason for reason in map(_safety, found) if reason), None)
        if len(found) > 1:
            names = tuple(sorted(i.name for i in found))
            return Detection(names[0], None, unsafe, ambiguous=names)
        return Detection(found[0].name, found[0].virtual_size(), unsafe)


def _safety(inspector: Inspector) -> str | None:
    try:
        inspector.safety_check()
    except UnsafeImage as unsafe:
        return str(unsafe)
    return None


def judge(found: Detection, disk_format: str | None, container_format: str | None,
          size: int, require_match: bool = True) -> int | None:
    """The virtual size to record for data claimed to be ``disk_format``, by Glance's rules;
    raises FormatMismatch or UnsafeImage when the data can't be accepted as that."""
    if container_format != "bare":
        return None
    if found.unsafe:
        raise UnsafeImage(found.unsafe)
    if found.ambiguous:
        if not require_match:
            return None
        raise FormatMismatch(f"Image data matches several formats: {', '.join(found.ambiguous)}")
    if found.format == disk_format:
        return found.virtual_size
    if found.format == "raw" and disk_format not in INSPECTABLE:
        return None
    if disk_format == "raw":
        return size
    if require_match:
        raise FormatMismatch(
            f"Image disk_format {disk_format} does not match stream data {found.format}")
    return None


__all__ = ["Detection", "Detector", "FormatMismatch", "UnsafeImage", "judge"]
