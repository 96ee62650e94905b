"""Inspectors for the formats that point elsewhere inside themselves: vmdk and vhdx."""

from __future__ import annotations

import uuid

from nimbus.services.image.formats.base import (
    Inspector,
    NotThisFormat,
    UnsafeImage,
    u32le,
    u64le,
)

VMDK_MAGIC = b"KDMV"
VMDK_DESCRIPTOR_MAX = (1 << 20) - 1
VMDK_GD_AT_END = 0xFFFFFFFFFFFFFFFF
VMDK_SAFE_TYPES = ("monolithicsparse", "streamoptimized")
VMDK_ACCESS = ("rw", "rdonly", "noaccess")
VMDK_FOOTER_MARKER = 3


class Vmdk(Inspector):
    """Hosted sparse VMDK (monolithicSparse, streamOptimized) with its embedded descriptor.

    A text descriptor file is recognised too, and refused: its extents are other files.
    """

    name = "vmdk"
    tail_wanted = 1536

    def start(self) -> None:
        self.header: bytes | None = None
        self.descriptor: str | None = None
        self.text_only = False
        self.footer_expected = False
        self.want("header", 0, 512)

    def on_region(self, name: str, data: bytes) -> None:
        if name == "header":
            self._read_header(data)
        elif name == "descriptor":
            self.descriptor = data.split(b"\x00", 1)[0].decode("ascii", "replace").lower()

    def _read_header(self, data: bytes) -> None:
        if not data.startswith(VMDK_MAGIC):
            if b"createtype=" not in data.lower() or not _is_text(data):
                raise NotThisFormat()
            self.text_only = True
            self.descriptor = data.decode("ascii").lower()
            return
        if u32le(data, 4) not in (1, 2, 3):
            raise NotThisFormat()
        offset, length = u64le(data, 28) * 512, u64le(data, 36) * 512
        if offset != 512 or length == 0:
            raise NotThisFormat()
        self.header = data
        self.footer_expected = u64le(data, 56) == VMDK_GD_AT_END
        self.want("descriptor", offset, min(length, VMDK_DESCRIPTOR_MAX))

    def finish(self, size: int, tail: bytes) -> None:
        super().finish(size, tail)
        partial = self.regions.get("header")
        if not self.rejected and partial is not None and not partial.complete:
            # A descriptor file shorter than a sector.
            try:
                self._read_header(bytes(partial.data))
            except NotThisFormat:
                self.rejected = True

    def matches(self) -> bool:
        return self.header is not None or self.text_only

    def virtual_size(self) -> int | None:
        return u64le(self.header, 12) * 512 if self.header else None

    def safety_check(self) -> None:
        if self.text_only:
            raise UnsafeImage("vmdk descriptor files point at external extents")
        if self.descriptor is None:
            raise UnsafeImage("vmdk descriptor missing")
        if _create_type(self.descriptor) not in VMDK_SAFE_TYPES:
            raise UnsafeImage("vmdk subformat not accepted")
        extents = _extents(self.descriptor)
        if not extents:
            raise UnsafeImage("vmdk descriptor lists no extents")
        for extent in extents:
            fields = extent.split()
            if "/" in extent or len(fields) < 3 or fields[2] != "sparse":
                raise UnsafeImage("vmdk descriptor points at external extents")
        if self.footer_expected:
            self._check_footer()

    def _check_footer(self) -> None:
        """streamOptimized: the footer repeats the header; the end-of-stream marker ends it."""
        if len(self.tail) < 1536 or self.header is None:
            raise UnsafeImage("vmdk footer missing")
        marker = self.tail[:512]
        if u32le(marker, 8) != 0 or u32le(marker, 12) != VMDK_FOOTER_MARKER:
            raise UnsafeImage("vmdk footer marker is invalid")
        footer_header = self.tail[512:1024]
        if footer_header[:4] != VMDK_MAGIC or footer_header[28:44] != self.header[28:44]:
            raise UnsafeImage("vmdk footer does not match its header")
        if u64le(footer_header, 56) == VMDK_GD_AT_END:
            raise UnsafeImage("vmdk footer points at another footer")
        if self.tail[-512:] != b"\x00" * 512:
            raise UnsafeImage("vmdk end-of-stream marker is invalid")


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c.isspace() for c in text.rstrip("\x00"))


def _create_type(descriptor: str) -> str:
    marker = 'createtype="'
    start = descriptor.find(marker)
    if start < 0:
        return ""
    start += len(marker)
    end = descriptor.find('"', start)
    return descriptor[start:end] if 0 < end - start < 64 else ""


def _extents(descriptor: str) -> list[str]:
    """The extent lines; any line that is not a comment, header field, ddb or extent fails."""
    extents = []
    for line in (raw.strip() for raw in descriptor.splitlines()):
        if not line or line.startswith("#") or line.startswith("ddb"):
            continue
        if "=" in line and " " not in line.split("=", 1)[0]:
            continue
        if line.split(" ", 1)[0] not in VMDK_ACCESS:
            raise UnsafeImage("vmdk descriptor holds lines it should not")
        extents.append(line)
    return extents


VHDX_MAGIC = b"vhdxfile"
VHDX_REGION_TABLE = 192 * 1024
VHDX_TABLE_SIZE = 64 * 1024
METADATA_REGION = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E").bytes_le
VIRTUAL_DISK_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8").bytes_le
PARENT_LOCATOR = uuid.UUID("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C").bytes_le


class Vhdx(Inspector):
    """VHDX: region table -> metadata table -> the virtual disk size item."""

    name = "vhdx"

    def start(self) -> None:
        self.found = False
        self.has_parent = False
        self.size_item: int | None = None
        self.want("magic", 0, 8)

    def on_region(self, name: str, data: bytes) -> None:
        if name == "magic":
            if data != VHDX_MAGIC:
                raise NotThisFormat()
            self.found = True
            self.want("regions", VHDX_REGION_TABLE, VHDX_TABLE_SIZE)
        elif name == "regions":
            self._find_metadata(data)
        elif name == "metadata":
            self._read_metadata_table(data)
        elif name == "disk_size":
            self.size_item = u64le(data, 0)

    def _find_metadata(self, table: bytes) -> None:
        if table[:4] != b"regi":
            return
        for i in range(min(u32le(table, 8), 2047)):
            entry = table[16 + 32 * i:48 + 32 * i]
            if entry[:16] == METADATA_REGION:
                self.metadata_offset = u64le(entry, 16)
                self.want("metadata", self.metadata_offset, VHDX_TABLE_SIZE)
                return

    def _read_metadata_table(self, table: bytes) -> None:
        if table[:8] != b"metadata":
            return
        count = int.from_bytes(table[10:12], "little")
        for i in range(min(count, 2047)):
            entry = table[32 + 32 * i:64 + 32 * i]
            if entry[:16] == PARENT_LOCATOR:
                self.has_parent = True
            elif entry[:16] == VIRTUAL_DISK_SIZE:
                self.want("disk_size", self.metadata_offset + u32le(entry, 16), 8)

    def matches(self) -> bool:
        return self.found

    def virtual_size(self) -> int | None:
        return self.size_item

    def safety_check(self) -> None:
        if self.has_parent:
            raise UnsafeImage("vhdx image is a differencing disk (it has a parent)")
