"""The bus across processes of one machine without a broker: kombu's ``filesystem``
transport, for ``nimbus up --workers N`` where the in-process bus cannot reach from one
worker process to another (or to the agent in the supervisor).

The layout under the bus directory (``<data dir>/bus``):

* ``messages/``: one file per message, ``<monotonic ns>_<counter>_<id>.<queue>.msg``;
* ``control/``: one file per exchange, its bindings (kombu's; so direct, topic and fanout
  routing reach across processes);
* ``inflight/<pid>/``: a message a process has taken but not yet acknowledged (and one it
  is still writing, renamed into ``messages/`` once whole).

What this module adds to kombu's transport, and why:

* *At least once*: kombu's channel deletes a message file as it reads it, so a consumer
  killed mid-message loses it. Here the file moves to ``inflight/<pid>/`` until the
  handler acknowledges it; a channel that opens moves the files of dead processes back.
* *No leftovers of dead processes*: reply and event queues are named with their owner's
  pid (``transient_name``); a message for the queue of a dead pid is not written, and the
  queue's bindings and files are swept when a channel opens.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

from kombu.transport import filesystem
from kombu.transport.virtual import base as virtual

log = logging.getLogger("nimbus.bus")

# How often a consumer looks for new files: a call takes up to two of these more than on
# RabbitMQ; an idle consumer costs about 0.5% of a core at this rate.
POLL_INTERVAL = 0.05
_sequence = itertools.count()
# nimbus.reply.<pid>.<hex>, nimbus.event.<event>.<pid>.<hex>
_TRANSIENT = re.compile(r"^nimbus\.(?:reply|event\..+)\.(\d+)\.[0-9a-f]+$")


def transient_name(kind: str, suffix: str) -> str:
    """A queue that lives as long as this process (replies, event subscriptions)."""
    return f"nimbus.{kind}.{os.getpid()}.{suffix}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_gone(queue: str) -> bool:
    match = _TRANSIENT.match(queue)
    return match is not None and not pid_alive(int(match.group(1)))


def transport_options(root: Path) -> dict[str, Any]:
    messages = root / "messages"
    for folder in (messages, root / "control", root / "inflight"):
        folder.mkdir(parents=True, exist_ok=True)
    return {"data_folder_in": str(messages), "data_folder_out": str(messages),
            "control_folder": str(root / "control"), "inflight_folder": str(root / "inflight"),
            "polling_interval": POLL_INTERVAL}


class FileQoS(virtual.QoS):
    """Forgets a message's in-flight file once it is acknowledged or rejected."""

    def ack(self, delivery_tag: Any) -> None:
        super().ack(delivery_tag)
        self.channel._done_with(delivery_tag)

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        super().reject(delivery_tag, requeue=requeue)
        self.channel._done_with(delivery_tag)


class FileChannel(filesystem.Channel):
    QoS = FileQoS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inflight: dict[Any, Path] = {}
        self._mine = Path(self.transport_options["inflight_folder"]) / str(os.getpid())
        self._mine.mkdir(parents=True, exist_ok=True)
        self._recover()

    # --- taking and finishing messages ------------------------------------------------
    def _get(self, queue: str, timeout: Any = None) -> Any:
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        for filename in sorted(os.listdir(folder)):
            if filename.partition(".")[2] != wanted:
                continue
            taken = self._mine / filename
            try:
                os.rename(folder / filename, taken)
            except OSError:
                continue  # another consumer took it first
            try:
                payload = json.loads(taken.read_bytes())
            except (OSError, ValueError) as e:
                log.error("bus: dropped unreadable message file %s: %s", filename, e)
                taken.unlink(missing_ok=True)
                continue
            self._inflight[payload["properties"]["delivery_tag"]] = taken
            return payload
        raise filesystem.Empty()

    def _done_with(self, delivery_tag: Any) -> None:
        path = self._inflight.pop(delivery_tag, None)
        if path is not None:
            path.unlink(missing_ok=True)

    def _restore(self, message: Any) -> None:
        super()._restore(message)
        self._done_with(message.delivery_tag)

    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:  # type: ignore[override]
        if _owner_gone(queue):
            return  # nobody will ever read it
        # Named by time (the machine's monotonic clock, shared by its processes) and a
        # counter, so a queue is read in the order its messages were sent.
        name = f"{time.monotonic_ns():020d}_{next(_sequence):010d}_{uuid.uuid4().hex[:12]}" \
               f".{queue}.msg"
        # Written aside and renamed in: a reader never sees a half-written file.
        partial = self._mine / f".{name}.partial"
        try:
            partial.write_bytes(json.dumps(message).encode())
            os.rename(partial, Path(self.data_folder_out) / name)
        except OSError as e:
            partial.unlink(missing_ok=True)
            raise filesystem.ChannelError(f"cannot write message {name}: {e}") from e

    # --- what dead processes left -----------------------------------------------------
    def _recover(self) -> None:
        """Hand back the messages dead processes had taken; sweep their transient queues."""
        inflight = self._mine.parent
        for owner in inflight.iterdir():
            if owner == self._mine or not owner.name.isdigit() or pid_alive(int(owner.name)):
                continue
            for path in owner.iterdir():
                if path.name.endswith(".partial"):
                    path.unlink(missing_ok=True)
                    continue
                with contextlib.suppress(OSError):
                    os.rename(path, Path(self.data_folder_in) / path.name)
                    log.info("bus: took back %s from dead process %s", path.name, owner.name)
            with contextlib.suppress(OSError):
                owner.rmdir()
        for filename in os.listdir(self.data_folder_in):
            queue = filename.partition(".")[2].removesuffix(".msg")
            if _owner_gone(queue):
                with contextlib.suppress(OSError):
                    os.unlink(Path(self.data_folder_in) / filename)
        self._sweep_bindings()

    def _sweep_bindings(self) -> None:
        for file in Path(self.control_folder).glob("*.exchange"):
            exchange = file.name.removesuffix(".exchange")
            for binding in self.get_table(exchange):
                if _owner_gone(binding.queue):
                    self._unbind(exchange, binding)

    def _unbind(self, exchange: str, binding: Any) -> None:
        file = self._exchange_file(exchange)
        with contextlib.suppress(OSError, ValueError), file.open("rb+", buffering=0) as f:
            filesystem.lock(f, filesystem.LOCK_EX)
            try:
                table = [filesystem.exchange_queue_t(*q) for q in json.loads(f.read())]
                if binding in table:
                    table.remove(binding)
                    f.seek(0)
                    f.write(json.dumps(table).encode())
                    f.truncate()
            finally:
                filesystem.unlock(f)


class FileTransport(filesystem.Transport):
    Channel = FileChannel
    polling_interval = POLL_INTERVAL
    _states: dict[str, virtual.BrokerState] = {}

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        # kombu keeps one record of declared bindings for every filesystem connection of a
        # process, and skips writing a binding it has seen: two bus directories in one
        # process (tests) would share it and the second would route nowhere.
        root = client.transport_options["control_folder"]
        self.state = self._states.setdefault(root, virtual.BrokerState())
