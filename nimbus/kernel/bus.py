"""The bus between services and agents: ``cast`` (fire and forget), ``call`` (request and
answer, with a timeout) and ``publish`` (fan-out events), with versioned payloads.

Three transports share one interface: in-process (the all-in-one default with one worker,
no broker), files in the data dir (``file:///path``: several worker processes, no broker;
``nimbus.kernel.bus_file``) and RabbitMQ (``amqp://``; ``nimbus.kernel.bus_amqp``, which
runs both kombu transports). ``bus_for(settings)`` is the one bus of a process.

A service sends through ``Bus``; an agent serves an *endpoint*: an object whose public
methods are the messages it accepts, with ``BUS_VERSION = "major.minor"``. A message carries
the version its sender wrote; an endpoint takes a message of its own major version and a
minor version it knows (same major, minor not above its own). Anything else is refused with
a logged error, and a caller gets ``UnsupportedVersion`` — never a crash of the agent.

Work sent with ``cast`` or ``call`` goes to a named *topic* (``network-agent.host1``); one
of the endpoints serving a topic takes each message. Events sent with ``publish`` go to
every subscriber of the event's name.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from nimbus.config import Settings

log = logging.getLogger("nimbus.bus")

DEFAULT_CALL_TIMEOUT = 30.0


class BusError(Exception):
    """Something went wrong on the bus itself."""


class CallTimeout(BusError):
    def __init__(self, topic: str, method: str, timeout: float) -> None:
        waited = f"within {timeout:g} s" if timeout else "(nobody serves that topic)"
        super().__init__(f"no answer to {method!r} from {topic!r} {waited} "
                         "(is the agent or service that serves it running?)")
        self.topic, self.method, self.timeout = topic, method, timeout


class UnsupportedVersion(BusError):
    """The endpoint does not know this message's version or method."""


class RemoteError(BusError):
    """The endpoint raised while handling a call; carries the remote type and message."""

    def __init__(self, exc_type: str, message: str) -> None:
        super().__init__(f"{exc_type}: {message}")
        self.exc_type, self.message = exc_type, message


def parse_version(version: str) -> tuple[int, int]:
    try:
        major, _, minor = version.partition(".")
        return int(major), int(minor or 0)
    except (AttributeError, ValueError):
        raise UnsupportedVersion(f"malformed message version {version!r}") from None


@dataclass(frozen=True)
class Envelope:
    """What travels: the method to run, the version its sender wrote, the payload."""

    method: str
    version: str
    payload: dict[str, Any]
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent_at: float = field(default_factory=time.time)
    # A call's deadline (epoch seconds); 0: none. Past it the caller has given up.
    expires_at: float = 0.0

    def with_deadline(self, timeout: float) -> Envelope:
        return dataclasses.replace(self, expires_at=self.sent_at + timeout)

    def expired(self, now: float | None = None) -> bool:
        return bool(self.expires_at) and (now or time.time()) > self.expires_at

    def to_wire(self) -> dict[str, Any]:
        return {"method": self.method, "version": self.version, "payload": self.payload,
                "message_id": self.message_id, "sent_at": self.sent_at,
                "expires_at": self.expires_at}

    @classmethod
    def from_wire(cls, body: Any) -> Envelope:
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            raise UnsupportedVersion(f"not a Nimbus bus message: {str(body)[:200]!r}")
        payload = body.get("payload")
        return cls(body["method"], str(body.get("version", "")),
                   payload if isinstance(payload, dict) else {},
                   str(body.get("message_id", "")), float(body.get("sent_at") or 0),
                   float(body.get("expires_at") or 0))


def dispatch(endpoint: object, envelope: Envelope) -> Any:
    """Run the endpoint's method for the envelope, after the version check."""
    want = parse_version(getattr(endpoint, "BUS_VERSION", "1.0"))
    got = parse_version(envelope.version)
    name = type(endpoint).__name__
    if got[0] != want[0] or got[1] > want[1]:
        raise UnsupportedVersion(f"{name} speaks {want[0]}.{want[1]}, message "
                                 f"{envelope.method!r} is {envelope.version}")
    method = getattr(endpoint, envelope.method, None)
    if envelope.method.startswith("_") or not callable(method):
        raise UnsupportedVersion(f"{name} has no method {envelope.method!r}")
    return method(**envelope.payload)


def handle_safely(endpoint: object, envelope: Envelope, topic: str) -> tuple[bool, Any]:
    """(ok, result or (exc_type, message)); logs, never raises."""
    try:
        return True, dispatch(endpoint, envelope)
    except UnsupportedVersion as e:
        log.error("bus: refused %s on %s: %s", envelope.method, topic, e)
        return False, ("UnsupportedVersion", str(e))
    except Exception as e:  # noqa: BLE001 - an endpoint's failure must not kill its consumer
        log.exception("bus: %s on %s failed", envelope.method, topic)
        return False, (type(e).__name__, str(e))


def raise_remote(result: tuple[str, str]) -> None:
    exc_type, message = result
    if exc_type == "UnsupportedVersion":
        raise UnsupportedVersion(message)
    raise RemoteError(exc_type, message)


class Consumer(Protocol):
    def stop(self) -> None: ...


class Bus(Protocol):
    """What services and agents use; both transports implement it."""

    def cast(self, topic: str, method: str, payload: dict[str, Any], *,
             version: str = "1.0") -> None: ...

    def call(self, topic: str, method: str, payload: dict[str, Any], *,
             version: str = "1.0", timeout: float = DEFAULT_CALL_TIMEOUT) -> Any: ...

    def publish(self, event: str, payload: dict[str, Any], *,
                version: str = "1.0") -> None: ...

    def serve(self, topic: str, endpoint: object) -> Consumer: ...

    def subscribe(self, event: str, endpoint: object) -> Consumer: ...

    def close(self) -> None: ...


# --- in-process transport -------------------------------------------------------------

_STOP = object()


@dataclass
class _Work:
    envelope: Envelope
    reply: Future[Any] | None = None


class _Worker:
    """One endpoint's consumer thread on one in-process queue."""

    def __init__(self, topic: str, inbox: queue.Queue[Any], endpoint: object,
                 on_stop: Callable[[_Worker], None]) -> None:
        self.topic, self.inbox, self.endpoint, self._on_stop = topic, inbox, endpoint, on_stop
        self._thread = threading.Thread(target=self._run, name=f"bus:{topic}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self.inbox.get()
            if item is _STOP:
                return
            ok, result = handle_safely(self.endpoint, item.envelope, self.topic)
            if item.reply is not None and not item.reply.done():
                if ok:
                    item.reply.set_result(result)
                else:
                    item.reply.set_exception(_remote_exception(result))

    def stop(self) -> None:
        self._on_stop(self)
        self.inbox.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


def _remote_exception(result: tuple[str, str]) -> BusError:
    try:
        raise_remote(result)
    except BusError as e:
        return e
    return BusError(str(result))  # unreachable: raise_remote always raises


class InProcessBus:
    """Queues and threads inside one process: the ``nimbus up`` default."""

    name = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._topics: dict[str, queue.Queue[Any]] = {}
        self._serving: dict[str, list[_Worker]] = {}
        self._subscribers: dict[str, list[_Worker]] = {}

    def _topic_queue(self, topic: str) -> queue.Queue[Any]:
        with self._lock:
            return self._topics.setdefault(topic, queue.Queue())

    def cast(self, topic: str, method: str, payload: dict[str, Any], *,
             version: str = "1.0") -> None:
        # Queued even while nobody serves the topic: an agent started later takes it.
        self._topic_queue(topic).put(_Work(Envelope(method, version, payload)))

    def call(self, topic: str, method: str, payload: dict[str, Any], *,
             version: str = "1.0", timeout: float = DEFAULT_CALL_TIMEOUT) -> Any:
        reply: Future[Any] = Future()
        with self._lock:
            served = bool(self._serving.get(topic))
        if not served:
            raise CallTimeout(topic, method, 0)
        self._topic_queue(topic).put(_Work(Envelope(method, version, payload), reply))
        try:
            return reply.result(timeout=timeout)
        except FutureTimeout:
            reply.cancel()
            raise CallTimeout(topic, method, timeout) from None

    def publish(self, event: str, payload: dict[str, Any], *, version: str = "1.0") -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(event, ()))
        envelope = Envelope(event, version, payload)
        for worker in subscribers:
            worker.inbox.put(_Work(envelope))

    def serve(self, topic: str, endpoint: object) -> Consumer:
        worker = _Worker(topic, self._topic_queue(topic), endpoint, self._forget)
        with self._lock:
            self._serving.setdefault(topic, []).append(worker)
        return worker

    def subscribe(self, event: str, endpoint: object) -> Consumer:
        worker = _Worker(event, queue.Queue(), _EventEndpoint(endpoint, event), self._forget)
        with self._lock:
            self._subscribers.setdefault(event, []).append(worker)
        return worker

    def _forget(self, worker: _Worker) -> None:
        with self._lock:
            for table in (self._serving, self._subscribers):
                workers = table.get(worker.topic, [])
                if worker in workers:
                    workers.remove(worker)

    def close(self) -> None:
        with self._lock:
            workers = [w for table in (self._serving, self._subscribers)
                       for ws in table.values() for w in ws]
        for worker in workers:
            worker.stop()


class _EventEndpoint:
    """Delivers an event (method = the event's name) to a subscriber's ``on_<event>`` or
    ``handle_event(event, **payload)``, under the subscriber's version."""

    def __init__(self, subscriber: object, event: str) -> None:
        self.subscriber = subscriber
        self.BUS_VERSION = getattr(subscriber, "BUS_VERSION", "1.0")
        handler = getattr(subscriber, "on_" + event.replace(".", "_").replace("-", "_"), None)
        if handler is None:
            generic = subscriber.handle_event  # type: ignore[attr-defined]

            def handler(**payload: Any) -> Any:
                return generic(event, **payload)
        setattr(self, event, handler)


def event_endpoint(subscriber: object, event: str) -> object:
    return _EventEndpoint(subscriber, event)


def connect(url: str | None) -> Bus:
    """The bus a URL names: none or ``memory://`` in-process; ``file:///dir`` files in that
    directory; ``amqp://`` RabbitMQ."""
    if not url or url.startswith("memory:"):
        return InProcessBus()
    if url.startswith("file://"):
        from nimbus.kernel.bus_amqp import FileBus

        path = url[len("file://"):]
        if not path.startswith("/"):
            raise BusError(f"a file bus URL names an absolute directory: {url!r}")
        return FileBus(Path(path))
    if url.startswith(("amqp://", "amqps://", "pyamqp://")):
        from nimbus.kernel.bus_amqp import AmqpBus

        return AmqpBus(url)
    raise BusError(f"unknown bus URL scheme in {url.split('://', 1)[0]!r}://")


# --- the one bus of a process ---------------------------------------------------------


def bus_url_for(settings: Settings, *, shared: bool = False) -> str:
    """The bus the settings name: ``[network] bus_url`` when set; else files in the data dir
    when processes must share it (several workers, or ``shared``: an agent of its own);
    else the in-process bus of that data dir (``memory://<data dir>``)."""
    if settings.network.bus_url:
        return settings.network.bus_url
    if shared or settings.workers > 1:
        return f"file://{settings.data_dir.absolute() / 'bus'}"
    return f"memory://{settings.data_dir.absolute()}"


_process_buses: dict[str, Bus] = {}
_process_lock = threading.Lock()


def bus_for(settings: Settings, *, shared: bool = False) -> Bus:
    """The process-wide bus of these settings: every service endpoint and every agent in a
    process sends and serves through this one object, so that with the in-process bus the
    API's plugin endpoint and the agent hosted beside it meet. Built on first use from
    ``bus_url_for``. (A process runs with one settings object, so one bus; tests that build
    several clouds in one process get one bus per data dir, and never meet.)

    A service serves its endpoint with ``bus_for(settings).serve(topic, endpoint)`` and
    keeps the returned consumer to ``stop()`` it when its app shuts down."""
    url = bus_url_for(settings, shared=shared)
    with _process_lock:
        bus = _process_buses.get(url)
        if bus is None:
            bus = _process_buses[url] = connect(url)
        return bus


def close_process_bus(settings: Settings | None = None) -> None:
    """Close the process-wide bus of ``settings`` (all of them without), on shutdown and
    between tests."""
    with _process_lock:
        if settings is None:
            closing = list(_process_buses.values())
            _process_buses.clear()
        else:
            held = _process_buses.pop(bus_url_for(settings), None)
            closing = [held] if held is not None else []
    for bus in closing:
        bus.close()


def run_agent_until_signalled(kind: str, start: Callable[[Settings, Bus], Any],
                              settings: Settings) -> int:
    """`nimbus agent <kind>`: ``start(settings, bus)`` on the process's shared bus, run until
    SIGTERM or SIGINT, then the agent stopped and the bus closed; the exit status (1: it
    could not start, 2: ``start`` declined)."""
    import signal

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        agent = start(settings, bus_for(settings, shared=True))
    except Exception:  # noqa: BLE001 - said once, plainly, with the cause
        log.exception("%s agent: cannot start", kind)
        close_process_bus()
        return 1
    if agent is None:
        close_process_bus()
        return 2
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        agent.stop()
        close_process_bus()
    return 0
