"""A guest's QMP monitor, synchronously: a short connection per operation over the guest's
unix socket (``<instances_path>/<uuid>/qmp.sock``), with the ``qemu.qmp`` library.

QEMU's QMP socket serves one client at a time, so the driver holds it only for the length
of one operation (under the guest's lock); an agent that died left nothing behind to undo.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from qemu.qmp import ConnectError, ExecuteError, QMPError
from qemu.qmp.legacy import QEMUMonitorProtocol

from nimbus.agents.compute.driver import DriverError

TIMEOUT = 15.0


class QmpError(DriverError):
    """The monitor could not be reached, or refused a command (QEMU's own message)."""


class Monitor:
    def __init__(self, socket_path: Path, timeout: float = TIMEOUT) -> None:
        self.path, self.timeout = socket_path, timeout
        self._qmp: QEMUMonitorProtocol | None = None

    def __enter__(self) -> Monitor:
        # A unix socket's path is limited to 107 bytes: reach a long one through a short
        # /proc/self/fd/<dir>/ path.
        dir_fd = os.open(self.path.parent, os.O_PATH | os.O_CLOEXEC) \
            if len(str(self.path)) > 100 else None
        address = str(self.path) if dir_fd is None \
            else f"/proc/self/fd/{dir_fd}/{self.path.name}"
        qmp = QEMUMonitorProtocol(address)
        qmp.settimeout(self.timeout)
        try:
            # The library's connect has no timeout of its own: bound it (a hung QEMU).
            qmp._sync(qmp._qmp.connect(address), self.timeout)
        except (TimeoutError, ConnectError, OSError) as e:
            _close(qmp)
            raise QmpError(f"QMP {self.path}: cannot connect: {e}") from e
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
        self._qmp = qmp
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._qmp is not None:
            _close(self._qmp)
            self._qmp = None

    def cmd(self, name: str, /, **arguments: Any) -> Any:
        assert self._qmp is not None, "use Monitor as a context manager"
        try:
            return self._qmp.cmd(name, **arguments)
        except ExecuteError as e:
            raise QmpError(f"QMP {name} {arguments}: {e.error.error.desc}") from e
        except (TimeoutError, QMPError, OSError, EOFError) as e:
            raise QmpError(f"QMP {name}: {type(e).__name__} {e}") from e

    def wait_event(self, name: str, timeout: float,
                   match: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The next event called ``name`` (whose data has ``match``'s items), or None."""
        assert self._qmp is not None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self._qmp.pull_event(wait=max(left, 0.01))
            except TimeoutError:
                return None
            except (QMPError, OSError, EOFError):
                return None      # the process went away
            if event is None or event.get("event") != name:
                continue
            data = event.get("data", {})
            if all(data.get(k) == v for k, v in (match or {}).items()):
                return event
        return None


def _close(qmp: QEMUMonitorProtocol) -> None:
    try:
        qmp.close()
    except Exception:  # noqa: BLE001,S110 - closing a dead connection may fail any way
        pass


def query_status(socket_path: Path, timeout: float = 5.0) -> str | None:
    """QEMU's run state ("running", "paused", "shutdown"...), or None when unreachable."""
    try:
        with Monitor(socket_path, timeout) as mon:
            status = mon.cmd("query-status")
    except QmpError:
        return None
    return str(status.get("status")) if isinstance(status, dict) else None
