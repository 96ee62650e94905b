"""The bus through kombu: on RabbitMQ for the scale-out shape, and on files in the data dir
(``nimbus.kernel.bus_file``) for ``nimbus up`` with several workers and no broker. One code
path for both: the transports differ only in how a connection is made.

Why kombu: Nimbus' services and agents are plain blocking code on threads, and kombu is the
well-kept synchronous AMQP client (with py-amqp underneath) that oslo.messaging itself
runs on: reconnection and publish retries are built in, and it needs no event loop of its
own. aio-pika would want asyncio in every agent.

Layout on the broker:
* work (``cast``/``call``): a durable direct exchange ``nimbus``; a durable queue
  ``nimbus.<topic>`` per topic, declared by the sender too, so a cast sent while no agent
  runs waits for one; persistent messages, acknowledged only after the endpoint handled
  them (a consumer that dies mid-message leaves it for the next);
* answers: one exclusive reply queue per ``AmqpBus``; a call's message expires with its
  timeout, so an answer nobody waits for is not worked on later;
* events (``publish``): a durable topic exchange ``nimbus.events``; each subscriber has an
  exclusive queue bound to the event's name.

A message carries ``expires_at`` (a call's deadline): an endpoint drops one that comes too
late, since its caller has given up (the file transport has no per-message TTL).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import kombu

from nimbus.kernel.bus import (
    DEFAULT_CALL_TIMEOUT,
    CallTimeout,
    Envelope,
    _remote_exception,
    event_endpoint,
    handle_safely,
)
from nimbus.kernel.bus_file import transient_name

log = logging.getLogger("nimbus.bus")

WORK = kombu.Exchange("nimbus", type="direct", durable=True)
EVENTS = kombu.Exchange("nimbus.events", type="topic", durable=True)
RETRY = {"max_retries": 5, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2}

# Makes a connection; the argument is its AMQP heartbeat (0: none), which the file
# transport ignores.
Connect = Callable[[int], kombu.Connection]


def work_queue(topic: str) -> kombu.Queue:
    return kombu.Queue(f"nimbus.{topic}", WORK, routing_key=topic, durable=True)


def amqp_connector(url: str) -> Connect:
    return lambda heartbeat: kombu.Connection(url, heartbeat=heartbeat)


def file_connector(root: Path) -> Connect:
    from nimbus.kernel.bus_file import FileTransport, transport_options

    options = transport_options(root)
    return lambda _heartbeat: kombu.Connection(transport=FileTransport,
                                               transport_options=options)


class _KombuConsumer(threading.Thread):
    """A thread with a connection of its own that feeds one queue to ``on_message``,
    reconnecting after the broker goes away."""

    def __init__(self, connect: Connect, make_queue: Callable[[], kombu.Queue],
                 on_message: Callable[[Any, kombu.Message], None], name: str,
                 transient: bool = False) -> None:
        super().__init__(name=f"bus:{name}", daemon=True)
        self.connect, self.make_queue, self.on_message, self.label = (
            connect, make_queue, on_message, name)
        self.transient = transient
        self._stopping = threading.Event()
        self.ready = threading.Event()
        self.connection: kombu.Connection | None = None
        self.start()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                with self.connect(10) as conn:
                    conn.ensure_connection(max_retries=3, interval_start=0.5)
                    self.connection = conn
                    self._consume(conn)
            # A broker closing the connection raises py-amqp's own errors (ConnectionForced),
            # not OSError: whatever ends the connection, the consumer comes back.
            except Exception as e:  # noqa: BLE001
                if self._stopping.is_set():
                    return
                log.warning("bus: consumer of %s lost the broker (%s: %s); reconnecting",
                            self.label, type(e).__name__, e)
                self._stopping.wait(1.0)

    def _consume(self, conn: kombu.Connection) -> None:
        queue = self.make_queue()
        with conn.Consumer([queue], callbacks=[self.on_message],
                           prefetch_count=1, accept=["json"]):
            self.ready.set()
            while not self._stopping.is_set():
                try:
                    conn.drain_events(timeout=0.5)
                except TimeoutError:
                    conn.heartbeat_check()
        if self.transient:
            # The file transport keeps bindings until told; on RabbitMQ the queue is
            # auto-deleted anyway.
            with contextlib.suppress(Exception):
                queue.bind(conn.default_channel).delete()

    def stop(self) -> None:
        self._stopping.set()
        if threading.current_thread() is not self:
            self.join(timeout=5)


def endpoint_handler(endpoint: object, label: str) -> Callable[[Any, kombu.Message], None]:
    """Runs each message on the endpoint, answers calls, acknowledges after handling."""

    def on_message(body: Any, message: kombu.Message) -> None:
        try:
            envelope = Envelope.from_wire(body)
        except Exception as e:  # noqa: BLE001 - a stray message must not stop the consumer
            log.error("bus: dropped a malformed message on %s: %s", label, e)
            message.ack()
            return
        if envelope.expired():
            log.info("bus: dropped %s on %s: its caller gave up", envelope.method, label)
            message.ack()
            return
        ok, result = handle_safely(endpoint, envelope, label)
        reply_to = message.properties.get("reply_to")
        if reply_to:
            answer = {"ok": ok, "result": result if ok else list(result)}
            producer = kombu.Producer(message.channel)
            producer.publish(answer, routing_key=reply_to, serializer="json",
                             correlation_id=message.properties.get("correlation_id"))
        message.ack()

    return on_message


class KombuBus:
    def __init__(self, connect: Connect, name: str = "amqp") -> None:
        self.connect, self.name = connect, name
        self._send_lock = threading.Lock()
        # The sending connection sits idle between messages with no thread to answer the
        # broker's heartbeats: it goes without, and ``ensure`` reconnects it when needed.
        self._conn = connect(0)
        self._pending: dict[str, Future[Any]] = {}
        self._pending_lock = threading.Lock()
        self._reply_name = transient_name("reply", uuid.uuid4().hex)
        self._replies: _KombuConsumer | None = None
        self._consumers: list[_KombuConsumer] = []

    # --- sending ---------------------------------------------------------------------
    def _send(self, body: dict[str, Any], exchange: kombu.Exchange, routing_key: str,
              declare: list[Any], **properties: Any) -> None:
        with self._send_lock:
            producer = kombu.Producer(self._conn)
            publish = self._conn.ensure(producer, producer.publish, **RETRY)
            publish(body, exchange=exchange, routing_key=routing_key, serializer="json",
                    declare=declare, delivery_mode=2, **properties)

    def cast(self, topic: str, method: str, payload: dict[str, Any], *,
             version: str = "1.0") -> None:
        self._send(Envelope(method, version, payload).to_wire(), WORK, topic,
                   [work_queue(topic)])

    def call(self, topic: str, method: str, payload: dict[str, Any], *,
             version: str = "1.0", timeout: float = DEFAULT_CALL_TIMEOUT) -> Any:
        self._ensure_reply_consumer()
        correlation = uuid.uuid4().hex
        reply: Future[Any] = Future()
        with self._pending_lock:
            self._pending[correlation] = reply
        envelope = Envelope(method, version, payload).with_deadline(timeout)
        try:
            self._send(envelope.to_wire(), WORK, topic, [work_queue(topic)],
                       reply_to=self._reply_name, correlation_id=correlation,
                       expiration=timeout)
            return reply.result(timeout=timeout)
        except FutureTimeout:
            raise CallTimeout(topic, method, timeout) from None
        finally:
            with self._pending_lock:
                self._pending.pop(correlation, None)

    def publish(self, event: str, payload: dict[str, Any], *, version: str = "1.0") -> None:
        self._send(Envelope(event, version, payload).to_wire(), EVENTS, event, [EVENTS])

    # --- receiving -------------------------------------------------------------------
    def _consumer(self, make_queue: Callable[[], kombu.Queue],
                  on_message: Callable[[Any, kombu.Message], None], label: str,
                  transient: bool = False) -> _KombuConsumer:
        consumer = _KombuConsumer(self.connect, make_queue, on_message, label, transient)
        self._consumers.append(consumer)
        consumer.ready.wait(10)
        return consumer

    def serve(self, topic: str, endpoint: object) -> _KombuConsumer:
        return self._consumer(lambda: work_queue(topic), endpoint_handler(endpoint, topic),
                              topic)

    def subscribe(self, event: str, endpoint: object) -> _KombuConsumer:
        name = transient_name(f"event.{event}", uuid.uuid4().hex[:12])

        def make_queue() -> kombu.Queue:
            return kombu.Queue(name, EVENTS, routing_key=event, exclusive=True,
                               auto_delete=True)

        return self._consumer(make_queue,
                              endpoint_handler(event_endpoint(endpoint, event), event),
                              event, transient=True)

    def _ensure_reply_consumer(self) -> None:
        if self._replies is not None:
            return
        with self._pending_lock:
            if self._replies is None:
                self._replies = _KombuConsumer(self.connect, self._reply_queue,
                                               self._on_reply, "replies", transient=True)
        self._replies.ready.wait(10)

    def _reply_queue(self) -> kombu.Queue:
        return kombu.Queue(self._reply_name, exclusive=True, auto_delete=True)

    def _on_reply(self, body: Any, message: kombu.Message) -> None:
        message.ack()
        with self._pending_lock:
            future = self._pending.get(message.properties.get("correlation_id") or "")
        if future is None or future.done():
            return
        if isinstance(body, dict) and body.get("ok"):
            future.set_result(body.get("result"))
        else:
            result = body.get("result") if isinstance(body, dict) else None
            pair = tuple(result) if isinstance(result, list) and len(result) == 2 else (
                "BusError", "malformed answer")
            future.set_exception(_remote_exception(pair))  # type: ignore[arg-type]

    def close(self) -> None:
        for consumer in [*self._consumers, *([self._replies] if self._replies else [])]:
            consumer.stop()
        self._conn.release()


def AmqpBus(url: str) -> KombuBus:  # noqa: N802 - the name callers knew
    return KombuBus(amqp_connector(url), "amqp")


def FileBus(root: Path) -> KombuBus:  # noqa: N802
    return KombuBus(file_connector(root), "file")
