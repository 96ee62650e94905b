"""The bus on every transport: in-process, files in a directory, and a real RabbitMQ
(127.0.0.1:5672, guest/guest; NIMBUS_TEST_AMQP_URL overrides). Each AMQP test uses topics of
its own."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimbus.kernel import bus as busmod
from nimbus.kernel.bus import CallTimeout, RemoteError, UnsupportedVersion
from tests.broker import AMQP_URL, amqp_or_skip


@pytest.fixture(params=["memory", "file", pytest.param("amqp", marks=pytest.mark.broker)])
def bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[busmod.Bus]:
    if request.param == "amqp":
        amqp_or_skip()
        instance = busmod.connect(AMQP_URL)
    elif request.param == "file":
        instance = busmod.connect(f"file://{tmp_path / 'bus'}")
    else:
        instance = busmod.connect(None)
    yield instance
    instance.close()
    if request.param == "amqp":
        delete_test_queues()
    USED_TOPICS.clear()


USED_TOPICS: list[str] = []


def topic() -> str:
    name = f"test-agent.{uuid.uuid4().hex[:10]}"
    USED_TOPICS.append(name)
    return name


def delete_test_queues() -> None:
    """The work queues are durable: remove the ones these tests made from the broker."""
    import kombu

    with kombu.Connection(AMQP_URL, connect_timeout=3) as conn:
        channel = conn.channel()
        while USED_TOPICS:
            channel.queue_delete(f"nimbus.{USED_TOPICS.pop()}")


class Recorder:
    BUS_VERSION = "1.2"

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.arrived = threading.Event()

    def plug_port(self, port_id: str, mac: str = "") -> dict[str, str]:
        self.seen.append(("plug_port", {"port_id": port_id, "mac": mac}))
        self.arrived.set()
        return {"port_id": port_id, "state": "plugged"}

    def explode(self) -> None:
        raise ValueError("bridge brq123 is missing")

    def slow(self, seconds: float) -> str:
        time.sleep(seconds)
        return "late"

    def on_port_deleted(self, port_id: str) -> None:
        self.seen.append(("port_deleted", {"port_id": port_id}))
        self.arrived.set()


def wait_for(event: threading.Event, seconds: float = 10) -> None:
    assert event.wait(seconds), "the message did not arrive"


def test_call_returns_the_endpoint_answer(bus: busmod.Bus) -> None:
    name = topic()
    consumer = bus.serve(name, Recorder())
    try:
        answer = bus.call(name, "plug_port", {"port_id": "p1", "mac": "fa:16:3e:00:00:01"},
                          version="1.1", timeout=10)
        assert answer == {"port_id": "p1", "state": "plugged"}
    finally:
        consumer.stop()


def test_cast_reaches_the_endpoint(bus: busmod.Bus) -> None:
    name, endpoint = topic(), Recorder()
    consumer = bus.serve(name, endpoint)
    try:
        bus.cast(name, "plug_port", {"port_id": "p2"})
        wait_for(endpoint.arrived)
        assert endpoint.seen == [("plug_port", {"port_id": "p2", "mac": ""})]
    finally:
        consumer.stop()


def test_a_cast_sent_before_any_agent_runs_is_not_lost(bus: busmod.Bus) -> None:
    name, endpoint = topic(), Recorder()
    bus.cast(name, "plug_port", {"port_id": "early"})
    consumer = bus.serve(name, endpoint)
    try:
        wait_for(endpoint.arrived)
        assert endpoint.seen[0][1]["port_id"] == "early"
    finally:
        consumer.stop()


def test_casts_to_one_endpoint_arrive_in_the_order_sent(bus: busmod.Bus) -> None:
    name, endpoint = topic(), Recorder()
    for n in range(50):
        bus.cast(name, "plug_port", {"port_id": f"p{n}"})
    consumer = bus.serve(name, endpoint)
    try:
        deadline = time.monotonic() + 20
        while len(endpoint.seen) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [seen[1]["port_id"] for seen in endpoint.seen] == [f"p{n}" for n in range(50)]
    finally:
        consumer.stop()


def test_remote_failure_comes_back_as_remote_error(bus: busmod.Bus) -> None:
    name = topic()
    consumer = bus.serve(name, Recorder())
    try:
        with pytest.raises(RemoteError) as caught:
            bus.call(name, "explode", {}, timeout=10)
        assert caught.value.exc_type == "ValueError"
        assert "brq123" in caught.value.message
        # The consumer lives on after the failure.
        assert bus.call(name, "plug_port", {"port_id": "p3"}, timeout=10)["state"] == "plugged"
    finally:
        consumer.stop()


@pytest.mark.parametrize("version", ["2.0", "1.3", "0.9", "x.y"])
def test_an_unknown_version_is_refused_and_the_agent_keeps_serving(
        bus: busmod.Bus, version: str, caplog: pytest.LogCaptureFixture) -> None:
    name, endpoint = topic(), Recorder()
    consumer = bus.serve(name, endpoint)
    try:
        with pytest.raises(UnsupportedVersion):
            bus.call(name, "plug_port", {"port_id": "p4"}, version=version, timeout=10)
        bus.cast(name, "plug_port", {"port_id": "p4-cast"}, version=version)
        assert bus.call(name, "plug_port", {"port_id": "p5"}, version="1.0",
                        timeout=10)["port_id"] == "p5"
        refusals = [r for r in caplog.records
                    if r.levelname == "ERROR" and "refused plug_port" in r.getMessage()]
        assert len(refusals) == 2 and version in refusals[0].getMessage()
        assert [seen[1]["port_id"] for seen in endpoint.seen] == ["p5"]
    finally:
        consumer.stop()


def test_unknown_and_private_methods_are_refused(bus: busmod.Bus) -> None:
    name = topic()
    consumer = bus.serve(name, Recorder())
    try:
        for method in ("no_such_method", "__init__", "_private"):
            with pytest.raises(UnsupportedVersion):
                bus.call(name, method, {}, timeout=10)
    finally:
        consumer.stop()


def test_a_call_to_a_topic_nobody_serves_times_out_clearly(bus: busmod.Bus) -> None:
    name = topic()
    started = time.monotonic()
    with pytest.raises(CallTimeout) as caught:
        bus.call(name, "plug_port", {"port_id": "p6"}, timeout=1.5)
    assert time.monotonic() - started < 10
    assert name in str(caught.value) and "agent" in str(caught.value)


def test_a_call_whose_agent_is_gone_times_out_clearly(bus: busmod.Bus) -> None:
    name = topic()
    consumer = bus.serve(name, Recorder())
    assert bus.call(name, "plug_port", {"port_id": "p8"}, timeout=10)["state"] == "plugged"
    consumer.stop()
    started = time.monotonic()
    with pytest.raises(CallTimeout) as caught:
        bus.call(name, "plug_port", {"port_id": "p9"}, timeout=1.5)
    assert time.monotonic() - started < 5
    assert f"no answer to 'plug_port' from {name!r}" in str(caught.value)
    assert "is the agent or service that serves it running?" in str(caught.value)


def test_a_call_its_caller_gave_up_on_is_not_run_later(bus: busmod.Bus) -> None:
    name, endpoint = topic(), Recorder()
    with pytest.raises(CallTimeout):
        bus.call(name, "plug_port", {"port_id": "stale"}, timeout=0.3)
    time.sleep(0.4)
    bus.cast(name, "plug_port", {"port_id": "fresh"})
    consumer = bus.serve(name, endpoint)
    try:
        wait_for(endpoint.arrived)
        time.sleep(0.3)
        assert [seen[1]["port_id"] for seen in endpoint.seen] == ["fresh"]
    finally:
        consumer.stop()


def test_a_slow_answer_times_out(bus: busmod.Bus) -> None:
    name = topic()
    consumer = bus.serve(name, Recorder())
    try:
        with pytest.raises(CallTimeout):
            bus.call(name, "slow", {"seconds": 2.5}, timeout=0.5)
    finally:
        consumer.stop()


class GenericSubscriber:
    BUS_VERSION = "1.0"

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.arrived = threading.Event()

    def handle_event(self, event: str, **payload: Any) -> None:
        self.events.append((event, payload))
        self.arrived.set()


def test_publish_reaches_every_subscriber(bus: busmod.Bus) -> None:
    first, second, generic = Recorder(), Recorder(), GenericSubscriber()
    subscribers = [bus.subscribe("port.deleted", first), bus.subscribe("port.deleted", second),
                   bus.subscribe("port.deleted", generic)]
    try:
        bus.publish("port.deleted", {"port_id": "p7"})
        for receiver in (first, second, generic):
            wait_for(receiver.arrived)
        assert first.seen == second.seen == [("port_deleted", {"port_id": "p7"})]
        assert generic.events == [("port.deleted", {"port_id": "p7"})]
    finally:
        for s in subscribers:
            s.stop()


def test_connect_refuses_an_unknown_scheme() -> None:
    with pytest.raises(busmod.BusError):
        busmod.connect("kafka://somewhere")


def test_bus_for_gives_one_bus_a_process_by_the_settings(tmp_path: Path) -> None:
    from nimbus.config import load_settings

    one = load_settings(tmp_path / "a", environ={})
    other = load_settings(tmp_path / "b", environ={})
    workers = load_settings(tmp_path / "c", {"workers": 2}, environ={})
    broker = load_settings(tmp_path / "d", {"network": {"bus_url": "amqp://u:p@h:5672//"}},
                           environ={})
    try:
        assert busmod.bus_for(one) is busmod.bus_for(load_settings(tmp_path / "a", environ={}))
        assert isinstance(busmod.bus_for(one), busmod.InProcessBus)
        assert busmod.bus_for(other) is not busmod.bus_for(one)
        assert busmod.bus_url_for(workers) == f"file://{tmp_path / 'c' / 'bus'}"
        assert busmod.bus_url_for(one, shared=True) == f"file://{tmp_path / 'a' / 'bus'}"
        assert busmod.bus_url_for(broker) == "amqp://u:p@h:5672//"
        assert busmod.bus_for(workers).name == "file"  # type: ignore[attr-defined]
    finally:
        busmod.close_process_bus()
    assert busmod._process_buses == {}
