"""What the host has, for ``report_state``: CPUs, memory and disk, the CPU's model and flags
as os-traits names (``HW_CPU_X86_SSE42``), and the ``COMPUTE_*`` traits the QEMU driver
supports."""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path
from typing import Any

GIB = 1 << 30

# /proc/cpuinfo flag -> os-traits suffix of HW_CPU_X86_.
X86_FLAGS = {
    "mmx": "MMX", "sse": "SSE", "sse2": "SSE2", "pni": "SSE3", "ssse3": "SSSE3",
    "sse4_1": "SSE41", "sse4_2": "SSE42", "sse4a": "SSE4A", "avx": "AVX", "avx2": "AVX2",
    "aes": "AESNI", "fma": "FMA3", "fma4": "FMA4", "f16c": "F16C", "bmi1": "BMI",
    "bmi2": "BMI2", "abm": "ABM", "tbm": "TBM", "vmx": "VMX", "svm": "SVM",
    "sha_ni": "SHA", "pclmulqdq": "CLMUL", "xop": "XOP", "mpx": "MPX",
    "avx512f": "AVX512F", "avx512cd": "AVX512CD", "avx512dq": "AVX512DQ",
    "avx512bw": "AVX512BW", "avx512vl": "AVX512VL", "avx512pf": "AVX512PF",
    "avx512er": "AVX512ER", "avx512vbmi": "AVX512VBMI", "avx512ifma": "AVX512IFMA",
    "avx512_vnni": "AVX512VNNI",
}

# What the QEMU driver can do (os-traits COMPUTE_*).
QEMU_TRAITS = [
    "COMPUTE_NODE", "COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_NET_VIF_MODEL_VIRTIO",
    "COMPUTE_STORAGE_BUS_VIRTIO", "COMPUTE_STORAGE_BUS_IDE", "COMPUTE_IMAGE_TYPE_QCOW2",
    "COMPUTE_IMAGE_TYPE_RAW", "COMPUTE_GRAPHICS_MODEL_VGA",
]


def cpuinfo(path: Path = Path("/proc/cpuinfo")) -> dict[str, str]:
    """The first processor's fields."""
    fields: dict[str, str] = {}
    try:
        text = path.read_text()
    except OSError:
        return fields
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def cpu_traits(flags: str) -> list[str]:
    have = set(flags.split())
    return sorted(f"HW_CPU_X86_{name}" for flag, name in X86_FLAGS.items() if flag in have)


def cpu_info() -> dict[str, Any]:
    fields = cpuinfo()
    count = os.cpu_count() or 1
    return {"arch": platform.machine(), "model": fields.get("model name", ""),
            "vendor": fields.get("vendor_id", ""),
            "topology": {"sockets": 1, "cores": count, "threads": 1},
            "features": sorted(fields.get("flags", "").split())}


def memory_mb(path: Path = Path("/proc/meminfo")) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def disk_gb(path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path).total // GIB


def traits() -> list[str]:
    return sorted({*cpu_traits(cpuinfo().get("flags", "")), *QEMU_TRAITS})
