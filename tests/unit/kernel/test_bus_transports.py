"""The shared transports across processes: a peer process serves a topic and subscribes to
an event over the file bus (and RabbitMQ); a peer killed mid-message loses nothing; a
RabbitMQ consumer whose connection is dropped comes back, and a cast sent meanwhile arrives."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimbus.kernel import bus as busmod
from tests.broker import amqp_vhost

REPO = Path(__file__).resolve().parents[3]

# The peer: serves TOPIC (echo, slow) and subscribes to EVENT, and casts what it saw back
# to TOPIC.back, so the test process can see it.
PEER = """
import sys, threading, time
from nimbus.kernel import bus as busmod
url, topic, event = sys.argv[1:4]
bus = busmod.connect(url)
class Peer:
    BUS_VERSION = "1.0"
    def echo(self, text):
        return {"echo": text, "pid": __import__("os").getpid()}
    def slow(self, tag, seconds):
        bus.cast(topic + ".back", "seen", {"what": "started", "tag": tag})
        time.sleep(seconds)
        bus.cast(topic + ".back", "seen", {"what": "done", "tag": tag})
    def handle_event(self, event, **payload):
        bus.cast(topic + ".back", "seen", {"what": "event", "tag": payload["tag"]})
bus.serve(topic, Peer())
bus.subscribe(event, Peer())
print("ready", flush=True)
threading.Event().wait()
"""


class Back:
    BUS_VERSION = "1.0"

    def __init__(self) -> None:
        self.heard: list[dict[str, Any]] = []
        self.changed = threading.Condition()

    def seen(self, **payload: Any) -> None:
        with self.changed:
            self.heard.append(payload)
            self.changed.notify_all()

    def wait(self, what: str, tag: str, seconds: float = 15) -> None:
        with self.changed:
            assert self.changed.wait_for(
                lambda: {"what": what, "tag": tag} in self.heard, seconds), self.heard


@pytest.fixture(params=["file", pytest.param("amqp", marks=pytest.mark.broker)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "file":
        yield f"file://{tmp_path / 'bus'}"
        return
    yield from amqp_vhost()


class Peers:
    def __init__(self, url: str, topic: str, event: str) -> None:
        self.url, self.topic, self.event = url, topic, event
        self.processes: list[subprocess.Popen[str]] = []

    def start(self) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = subprocess.Popen([sys.executable, "-c", PEER, self.url, self.topic,
                                    self.event], env=env, stdout=subprocess.PIPE, text=True)
        self.processes.append(process)
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)


@pytest.fixture
def peers(url: str) -> Iterator[tuple[busmod.Bus, Peers, Back]]:
    bus, back = busmod.connect(url), Back()
    name = f"peer.{uuid.uuid4().hex[:8]}"
    group = Peers(url, name, f"ev.{name}")
    consumer = bus.serve(name + ".back", back)
    try:
        yield bus, group, back
    finally:
        group.stop()
        consumer.stop()
        bus.close()


def test_call_cast_and_publish_reach_another_process(
        peers: tuple[busmod.Bus, Peers, Back]) -> None:
    bus, group, back = peers
    peer = group.start()
    answer = bus.call(group.topic, "echo", {"text": "hi"}, timeout=10)
    assert answer == {"echo": "hi", "pid": peer.pid}
    bus.cast(group.topic, "slow", {"tag": "c1", "seconds": 0})
    back.wait("done", "c1")
    bus.publish(group.event, {"tag": "e1"})
    back.wait("event", "e1")


def test_a_peer_killed_mid_message_leaves_it_to_the_next(
        peers: tuple[busmod.Bus, Peers, Back]) -> None:
    bus, group, back = peers
    first = group.start()
    bus.cast(group.topic, "slow", {"tag": "k1", "seconds": 3})
    back.wait("started", "k1")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    group.start()
    back.wait("done", "k1", seconds=20)
    # The killed peer's event subscription is gone with it: publishing finds only the live
    # one, and leaves nothing behind for the dead one.
    bus.publish(group.event, {"tag": "e2"})
    back.wait("event", "e2")
    if group.url.startswith("file://"):
        messages = Path(group.url[len("file://"):]) / "messages"
        time.sleep(0.5)
        assert [n for n in os.listdir(messages) if f".{first.pid}." in n] == []


# --- RabbitMQ: a dropped connection ----------------------------------------------------


def rabbitmq_connection_of(local_port: int) -> str:
    ctl = shutil.which("rabbitmqctl")
    assert ctl is not None
    listing = subprocess.run([ctl, "list_connections", "pid", "peer_port", "-q"],
                             capture_output=True, text=True, check=True, timeout=60).stdout
    for line in listing.splitlines():
        pid, _, port = line.rpartition("\t")
        if port.strip() == str(local_port):
            return pid
    raise AssertionError(f"no broker connection from port {local_port}: {listing}")


class Inbox:
    BUS_VERSION = "1.0"

    def __init__(self) -> None:
        self.got: list[str] = []
        self.arrived = threading.Event()

    def deliver(self, tag: str) -> None:
        self.got.append(tag)
        self.arrived.set()


@pytest.mark.broker
def test_a_consumer_comes_back_after_its_connection_is_dropped() -> None:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to drop a connection on the broker")
    for url in amqp_vhost():
        bus, inbox = busmod.connect(url), Inbox()
        try:
            consumer = bus.serve("inbox", inbox)
            sock = consumer.connection.connection.sock  # type: ignore[attr-defined]
            name = rabbitmq_connection_of(sock.getsockname()[1])
            subprocess.run([shutil.which("rabbitmqctl") or "", "close_connection", name,
                            "test drops it"], check=True, capture_output=True, timeout=60)
            # Sent while the consumer has no connection: the durable queue keeps it.
            bus.cast("inbox", "deliver", {"tag": "meanwhile"})
            assert inbox.arrived.wait(20), "the cast sent meanwhile never arrived"
            assert inbox.got == ["meanwhile"]
            inbox.arrived.clear()
            # The sender's own connection dropped: the next cast reconnects and goes out.
            sender = bus._conn.connection.sock  # type: ignore[attr-defined]
            subprocess.run([shutil.which("rabbitmqctl") or "", "close_connection",
                            rabbitmq_connection_of(sender.getsockname()[1]), "test drops it"],
                           check=True, capture_output=True, timeout=60)
            time.sleep(0.5)
            bus.cast("inbox", "deliver", {"tag": "after"})
            assert inbox.arrived.wait(20) and inbox.got == ["meanwhile", "after"]
        finally:
            bus.close()
