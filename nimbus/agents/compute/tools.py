"""The compute agent's host commands, one wrapper per tool: ``qemu-img`` (overlays, blank
disks, resize, convert, info) and ``qemu-system-x86_64`` (started as a daemon of its own,
``-daemonize``: it outlives the agent). Argv lists only, never a shell; every command has
a timeout, and a failure raises ``ToolError`` with the whole command line and the tool's
message. Also: the host's process table (``/proc``) and the KVM probe.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from nimbus.agents.network.nft import ToolError, run_tool

QEMU_IMG = "qemu-img"
QEMU_SYSTEM = "qemu-system-x86_64"
IMG_TIMEOUT = 120.0
CONVERT_TIMEOUT = 1800.0
START_TIMEOUT = 60.0


class QemuImgError(ToolError):
    """``qemu-img`` failed."""


class QemuError(ToolError):
    """``qemu-system-x86_64`` failed to start."""


def _img(args: Sequence[str], timeout: float = IMG_TIMEOUT) -> str:
    return run_tool([QEMU_IMG, *args], timeout=timeout, error=QemuImgError).stdout


def create_overlay(path: Path, base: Path, base_format: str, size_bytes: int = 0) -> None:
    """A qcow2 over ``base`` (whose format is given, never probed), optionally larger."""
    args = ["create", "-q", "-f", "qcow2", "-b", str(base), "-F", base_format, str(path)]
    _img(args + ([str(size_bytes)] if size_bytes else []))


def create_blank(path: Path, size_bytes: int) -> None:
    _img(["create", "-q", "-f", "qcow2", str(path), str(size_bytes)])


def resize(path: Path, size_bytes: int) -> None:
    """Grow a qcow2 to ``size_bytes``; never shrinks (a smaller size is left alone)."""
    if virtual_size(path) < size_bytes:
        _img(["resize", "-q", "-f", "qcow2", str(path), str(size_bytes)])


def convert(source: Path, target: Path, *, force_share: bool = False) -> None:
    """A standalone compressed-free qcow2 of ``source`` and its backing chain."""
    args = ["convert", "-q", "-f", "qcow2", "-O", "qcow2"]
    if force_share:
        args.append("-U")
    _img([*args, str(source), str(target)], timeout=CONVERT_TIMEOUT)


def info(path: Path, *, force_share: bool = True, fmt: str | None = None) -> dict[str, Any]:
    args = ["info", "--output=json"] + (["-U"] if force_share else [])
    args += ["-f", fmt] if fmt else []
    data = json.loads(_img([*args, str(path)]))
    return data if isinstance(data, dict) else {}


def virtual_size(path: Path) -> int:
    return int(info(path, fmt="qcow2").get("virtual-size", 0))


def version() -> tuple[int, int, int]:
    """qemu-system-x86_64's version."""
    out = run_tool([QEMU_SYSTEM, "--version"], timeout=10.0, error=QemuError).stdout
    words = out.split()
    numbers = words[words.index("version") + 1] if "version" in words else "0.0.0"
    parts = [int(p) for p in numbers.split(".")[:3] if p.isdigit()]
    major, minor, micro = (parts + [0, 0, 0])[:3]
    return major, minor, micro


def start_qemu(argv: Sequence[str], cwd: Path, timeout: float = START_TIMEOUT) -> None:
    """Run ``qemu-system-x86_64 ... -daemonize`` in ``cwd``: returns once the guest is set
    up and its process (the daemon, in a session of its own) detached; errors name the
    command line."""
    full = [QEMU_SYSTEM, *argv]
    try:
        proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout,
                              check=False, start_new_session=True, stdin=subprocess.DEVNULL,
                              cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise QemuError(full, None, f"timed out after {timeout}s") from e
    except OSError as e:
        raise QemuError(full, None, str(e)) from e
    if proc.returncode != 0:
        raise QemuError(full, None, (proc.stderr or proc.stdout).strip(), proc.returncode)


# --- the process table ----------------------------------------------------------------


class ProcessTable(Protocol):
    """What the driver asks of the host's processes (a fake one in unit tests)."""

    def cmdline(self, pid: int) -> list[str] | None:
        """The process's argv, or None when there is no such process (or a zombie)."""
        ...

    def qemu_pids(self) -> list[int]:
        """Every running qemu-system-* process."""
        ...


class ProcTable:
    def cmdline(self, pid: int) -> list[str] | None:
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return None
        if stat.rpartition(")")[2].split()[:1] == ["Z"] or not raw:
            return None
        return [a.decode(errors="replace") for a in raw.rstrip(b"\0").split(b"\0")]

    def qemu_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            argv = self.cmdline(int(entry.name))
            if argv and Path(argv[0]).name.startswith("qemu-system"):
                pids.append(int(entry.name))
        return pids


def read_pidfile(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def process_start_time(pid: int) -> float | None:
    """Seconds since the process started."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return uptime - int(stat[19]) / os.sysconf("SC_CLK_TCK")


# --- KVM ------------------------------------------------------------------------------

KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01


def kvm_works(device: str = "/dev/kvm") -> bool:
    """True when /dev/kvm opens and really makes a VM (not only exists)."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if fcntl.ioctl(fd, KVM_GET_API_VERSION, 0) != 12:
            return False
        vm = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
        os.close(vm)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


__all__ = ["ToolError"]
