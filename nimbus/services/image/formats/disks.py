"""Inspectors for the disk formats whose header says everything: qcow2, vhd, vdi, qed, iso."""

from __future__ import annotations

from nimbus.services.image.formats.base import (
    Inspector,
    NotThisFormat,
    UnsafeImage,
    u16le,
    u32be,
    u32le,
    u64be,
    u64le,
)

QCOW2_MAGIC = b"QFI\xfb"
# Incompatible feature bits qemu knows: dirty, corrupt, external data file, compression
# type, extended L2 entries. Any other bit means the image needs something we can't vet.
QCOW2_KNOWN_INCOMPATIBLE = 0b11111
QCOW2_DATA_FILE_BIT = 1 << 2


class Qcow2(Inspector):
    """qcow2 v2/v3: virtual size in the header; refuse backing files and external data."""

    name = "qcow2"

    def start(self) -> None:
        self.header: bytes | None = None
        self.want("header", 0, 104)

    def on_region(self, name: str, data: bytes) -> None:
        if not data.startswith(QCOW2_MAGIC):
            raise NotThisFormat()
        self.header = data

    def matches(self) -> bool:
        return self.header is not None

    def virtual_size(self) -> int | None:
        return u64be(self.header, 24) if self.header else None

    def safety_check(self) -> None:
        if self.header is None:
            raise UnsafeImage("qcow2 header missing")
        version = u32be(self.header, 4)
        if version not in (2, 3):
            raise UnsafeImage(f"unsupported qcow2 version {version}")
        if u64be(self.header, 8) != 0:
            raise UnsafeImage("qcow2 image has a backing file")
        if not 9 <= u32be(self.header, 20) <= 21:
            raise UnsafeImage("qcow2 image has an invalid cluster size")
        if version == 3:
            features = u64be(self.header, 72)
            if features & QCOW2_DATA_FILE_BIT:
                raise UnsafeImage("qcow2 image has an external data file")
            if features & ~QCOW2_KNOWN_INCOMPATIBLE:
                raise UnsafeImage("qcow2 image has unknown incompatible features")


VHD_COOKIE = b"conectix"
VHD_DIFFERENCING = 4


class Vhd(Inspector):
    """VHD: its footer (copied at the start of dynamic disks, at the end of every disk)."""

    name = "vhd"
    tail_wanted = 512

    def start(self) -> None:
        self.head: bytes | None = None
        self.want("head", 0, 512)

    def on_region(self, name: str, data: bytes) -> None:
        self.head = data if data.startswith(VHD_COOKIE) else None

    def footer(self) -> bytes | None:
        if self.head is not None:
            return self.head
        if len(self.tail) == 512 and self.tail.startswith(VHD_COOKIE):
            return self.tail
        return None

    def matches(self) -> bool:
        return self.footer() is not None

    def virtual_size(self) -> int | None:
        footer = self.footer()
        return u64be(footer, 48) if footer else None

    def safety_check(self) -> None:
        footer = self.footer()
        if footer is None:
            raise UnsafeImage("vhd footer missing")
        if u32be(footer, 60) == VHD_DIFFERENCING:
            raise UnsafeImage("vhd image is a differencing disk (it has a parent)")


VDI_MAGIC = 0xBEDA107F
VDI_DIFFERENCING = 4


class Vdi(Inspector):
    name = "vdi"

    def start(self) -> None:
        self.header: bytes | None = None
        self.want("header", 0, 512)

    def on_region(self, name: str, data: bytes) -> None:
        if u32le(data, 0x40) != VDI_MAGIC:
            raise NotThisFormat()
        self.header = data

    def matches(self) -> bool:
        return self.header is not None

    def virtual_size(self) -> int | None:
        return u64le(self.header, 0x170) if self.header else None

    def safety_check(self) -> None:
        if self.header is None or u32le(self.header, 0x4C) == VDI_DIFFERENCING:
            raise UnsafeImage("vdi image is a differencing disk (it has a parent)")


class Qed(Inspector):
    """QED: recognised so it can't pass for another format; never safe (backing files)."""

    name = "qed"

    def start(self) -> None:
        self.found = False
        self.want("magic", 0, 4)

    def on_region(self, name: str, data: bytes) -> None:
        self.found = data == b"QED\x00"

    def matches(self) -> bool:
        return self.found

    def safety_check(self) -> None:
        raise UnsafeImage("qed images are not accepted")


ISO_SECTOR = 2048
ISO_DESCRIPTORS = 16 * ISO_SECTOR
ISO_IDS = (b"CD001", b"BEA01", b"NSR02", b"NSR03")


class Iso(Inspector):
    """ISO 9660 (and UDF): volume descriptors from sector 16."""

    name = "iso"

    def start(self) -> None:
        self.descriptor: bytes | None = None
        self.want("descriptor", ISO_DESCRIPTORS, ISO_SECTOR)

    def on_region(self, name: str, data: bytes) -> None:
        if data[1:6] not in ISO_IDS:
            raise NotThisFormat()
        self.descriptor = data

    def matches(self) -> bool:
        return self.descriptor is not None

    def virtual_size(self) -> int | None:
        if self.descriptor is None:
            return None
        if self.descriptor[0] == 1 and self.descriptor[1:6] == b"CD001":
            return u32le(self.descriptor, 80) * u16le(self.descriptor, 128)
        return self.size
