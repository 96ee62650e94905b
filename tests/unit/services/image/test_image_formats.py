"""Format inspection while data streams: every format, in any chunking, and Glance's verdicts
on what an image claims to be."""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
import subprocess
import uuid

import pytest

from nimbus.services.image.formats import Detection, Detector, FormatMismatch, judge
from nimbus.services.image.formats.base import UnsafeImage
from nimbus.services.image.formats.containers import (
    METADATA_REGION,
    PARENT_LOCATOR,
    VIRTUAL_DISK_SIZE,
)

MIB = 1 << 20


def qcow2(size=MIB, version=3, backing=0, features=0, cluster_bits=16):
    header = struct.pack(">4sIQIIQIIQQIIQ", b"QFI\xfb", version, backing, 0, cluster_bits,
                         size, 0, 1, 0x30000, 0x10000, 1, 0, 0)
    if version == 3:
        header += struct.pack(">QQQII", features, 0, 0, 4, 104)
    return header.ljust(0x10000, b"\0")


def vhd_footer(size=4 * MIB, disk_type=3):
    footer = bytearray(512)
    footer[0:8] = b"conectix"
    footer[40:48] = size.to_bytes(8, "big")
    footer[48:56] = size.to_bytes(8, "big")
    footer[60:64] = disk_type.to_bytes(4, "big")
    return bytes(footer)


def vdi(size=3 * MIB, image_type=1):
    header = bytearray(b"<<< Oracle VM VirtualBox Disk Image >>>\n".ljust(512, b"\0"))
    header[0x40:0x44] = (0xBEDA107F).to_bytes(4, "little")
    header[0x4C:0x50] = image_type.to_bytes(4, "little")
    header[0x170:0x178] = size.to_bytes(8, "little")
    return bytes(header) + bytes(4096)


def iso(blocks=40):
    descriptor = bytearray(2048)
    descriptor[0:7] = b"\x01CD001\x01"
    descriptor[80:88] = struct.pack("<I", blocks) + struct.pack(">I", blocks)
    descriptor[128:132] = struct.pack("<H", 2048) + struct.pack(">H", 2048)
    return bytes(16 * 2048) + bytes(descriptor) + bytes(2048 * (blocks - 17))


DESCRIPTOR = ('# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n'
              'createType="{kind}"\n\n# Extent description\n{extent}\n\n'
              'ddb.virtualHWVersion = "4"\n')


def vmdk(capacity_sectors=8192, kind="monolithicSparse", extent='RW 8192 SPARSE "d.vmdk"'):
    header = struct.pack("<4sIIQQQQIQQ", b"KDMV", 1, 3, capacity_sectors, 128, 1, 20, 512,
                         0, 21)
    text = DESCRIPTOR.format(kind=kind, extent=extent).encode()
    return header.ljust(512, b"\0") + text.ljust(20 * 512, b"\0") + bytes(8192)


def vhdx(size=5 * MIB, parent=False):
    data = bytearray(0x50000)
    data[0:8] = b"vhdxfile"
    table = 0x30000
    data[table:table + 4] = b"regi"
    data[table + 8:table + 12] = (1).to_bytes(4, "little")
    data[table + 16:table + 48] = METADATA_REGION + struct.pack("<QII", 0x40000, 0x10000, 1)
    meta = 0x40000
    entries = [(VIRTUAL_DISK_SIZE, 0x8000)] + ([(PARENT_LOCATOR, 0x9000)] if parent else [])
    data[meta:meta + 8] = b"metadata"
    data[meta + 10:meta + 12] = len(entries).to_bytes(2, "little")
    for i, (guid, offset) in enumerate(entries):
        at = meta + 32 + 32 * i
        data[at:at + 32] = guid + struct.pack("<IIII", offset, 8, 0, 0)
    data[meta + 0x8000:meta + 0x8008] = size.to_bytes(8, "little")
    return bytes(data)


def detect(data: bytes, chunking: str = "random") -> Detection:
    detector = Detector()
    rng = random.Random(len(data))
    position = 0
    while position < len(data):
        size = {"byte": 1, "random": rng.randint(1, 70_000), "whole": len(data)}[chunking]
        if chunking == "byte" and len(data) > 300_000:
            size = rng.randint(1, 3000)
        detector.feed(data[position:position + size])
        position += size
    return detector.finish()


CASES = {
    "qcow2 v3": (qcow2(), "qcow2", MIB, None),
    "qcow2 v2": (qcow2(version=2), "qcow2", MIB, None),
    "qcow2 with backing file": (qcow2(backing=0x200), "qcow2", MIB, "backing file"),
    "qcow2 with data file": (qcow2(features=4), "qcow2", MIB, "external data file"),
    "qcow2 unknown feature": (qcow2(features=1 << 9), "qcow2", MIB, "unknown"),
    "qcow2 version 4": (qcow2(version=4), "qcow2", MIB, "version"),
    "vhd dynamic": (vhd_footer() + bytes(4096) + vhd_footer(), "vhd", 4 * MIB, None),
    "vhd fixed": (bytes(8192) + vhd_footer(disk_type=2), "vhd", 4 * MIB, None),
    "vhd differencing": (vhd_footer(disk_type=4) + bytes(1024), "vhd", 4 * MIB, "parent"),
    "vdi": (vdi(), "vdi", 3 * MIB, None),
    "vdi differencing": (vdi(image_type=4), "vdi", 3 * MIB, "parent"),
    "iso": (iso(), "iso", 40 * 2048, None),
    "vmdk sparse": (vmdk(), "vmdk", 8192 * 512, None),
    "vmdk flat extent": (vmdk(extent='RW 8192 FLAT "other.img" 0'), "vmdk", 8192 * 512,
                         "external extents"),
    "vmdk extent path": (vmdk(extent='RW 8192 SPARSE "/etc/passwd"'), "vmdk", 8192 * 512,
                         "external extents"),
    "vmdk monolithicFlat": (vmdk(kind="monolithicFlat"), "vmdk", 8192 * 512, "subformat"),
    "vmdk descriptor file": (DESCRIPTOR.format(kind="monolithicFlat",
                                               extent='RW 8 FLAT "d-flat.vmdk" 0').encode(),
                             "vmdk", None, "external extents"),
    "vhdx": (vhdx(), "vhdx", 5 * MIB, None),
    "vhdx differencing": (vhdx(parent=True), "vhdx", 5 * MIB, "parent"),
    "qed": (b"QED\0" + bytes(4092), "qed", None, "qed"),
    "raw": (os.urandom(100_000), "raw", 100_000, None),
    "empty": (b"", "raw", 0, None),
}


@pytest.mark.parametrize("chunking", ["byte", "random", "whole"])
@pytest.mark.parametrize("case", CASES)
def test_formats_are_recognised_in_any_chunking(case, chunking):
    data, fmt, virtual_size, unsafe = CASES[case]
    found = detect(data, chunking)
    assert found.format == fmt
    assert found.virtual_size == virtual_size
    if unsafe is None:
        assert found.unsafe is None
    else:
        assert found.unsafe is not None and unsafe in found.unsafe


QEMU_CASES = [
    ("qcow2", (), "qcow2", None),
    ("qcow2", ("-o", "compat=0.10"), "qcow2", None),
    ("qcow2", ("-b", "base.raw", "-F", "raw"), "qcow2", "backing file"),
    ("qcow2", ("-o", "data_file=external.data"), "qcow2", "external data file"),
    ("vmdk", (), "vmdk", None),
    ("vmdk", ("-o", "subformat=streamOptimized"), "vmdk", None),
    ("vmdk", ("-o", "subformat=monolithicFlat"), "vmdk", "external extents"),
    ("vpc", (), "vhd", None),
    ("vpc", ("-o", "subformat=fixed"), "vhd", None),
    ("vhdx", (), "vhdx", None),
    ("vdi", (), "vdi", None),
    ("qed", (), "qed", "qed"),
]


@pytest.mark.parametrize("qemu_format,options,fmt,unsafe", QEMU_CASES)
def test_images_qemu_img_makes(tmp_path, qemu_format, options, fmt, unsafe):
    exe = shutil.which("qemu-img")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("qemu-img is missing (apt-get install qemu-utils)")
        pytest.skip("qemu-img is not installed")
    subprocess.run([exe, "create", "-q", "-f", "raw", "base.raw", "1M"], cwd=tmp_path,
                   check=True)
    name = f"{uuid.uuid4().hex}.img"
    subprocess.run([exe, "create", "-q", "-f", qemu_format, *options, name, "6M"],
                   cwd=tmp_path, check=True)
    data = (tmp_path / name).read_bytes()
    info = json.loads(subprocess.run([exe, "info", "--output=json", "-f", qemu_format, name],
                                     cwd=tmp_path, check=True, capture_output=True).stdout)
    for chunking in ("byte", "random"):
        found = detect(data, chunking)
        assert found.format == fmt
        if unsafe is None:
            assert found.virtual_size == info["virtual-size"]
        assert (found.unsafe is None) if unsafe is None else (unsafe in str(found.unsafe))


def test_iso_from_genisoimage(tmp_path):
    exe = shutil.which("genisoimage")
    if exe is None:
        pytest.skip("genisoimage is not installed")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "hello.txt").write_text("hello")
    subprocess.run([exe, "-quiet", "-o", "x.iso", "dir"], cwd=tmp_path, check=True)
    data = (tmp_path / "x.iso").read_bytes()
    found = detect(data)
    assert (found.format, found.virtual_size, found.unsafe) == ("iso", len(data), None)


def detection(fmt, virtual_size=MIB, unsafe=None, ambiguous=()):
    return Detection(fmt, virtual_size, unsafe, tuple(ambiguous))


@pytest.mark.parametrize("found,disk_format,container,expected", [
    (detection("qcow2"), "qcow2", "bare", MIB),
    (detection("raw", 500), "raw", "bare", 500),
    (detection("qcow2"), "raw", "bare", 4242),  # claims raw: its size, as Glance
    (detection("raw", 500), "ami", "bare", None),  # not inspectable
    (detection("raw", 500), "qcow2", "ovf", None),  # only bare is inspected
    (detection("qcow2", unsafe="backing"), "qcow2", "ovf", None),
])
def test_judge_accepts(found, disk_format, container, expected):
    assert judge(found, disk_format, container, 4242) == expected


@pytest.mark.parametrize("found,disk_format,error", [
    (detection("raw", 500), "qcow2", FormatMismatch),
    (detection("vmdk"), "vhd", FormatMismatch),
    (detection("qcow2", unsafe="backing file"), "qcow2", UnsafeImage),
    (detection("qcow2", unsafe="backing file"), "raw", UnsafeImage),
    (detection("iso", ambiguous=("iso", "vhd")), "iso", FormatMismatch),
])
def test_judge_refuses(found, disk_format, error):
    with pytest.raises(error):
        judge(found, disk_format, "bare", 4242)


def test_judge_without_format_match_still_refuses_unsafe_data():
    assert judge(detection("raw", 5), "qcow2", "bare", 5, require_match=False) is None
    with pytest.raises(UnsafeImage):
        judge(detection("qcow2", unsafe="backing"), "vmdk", "bare", 5, require_match=False)


def test_detection_round_trips_through_json():
    found = detection("vmdk", 77, "why", ("iso", "vmdk"))
    assert Detection.from_dict(found.as_dict()) == found
