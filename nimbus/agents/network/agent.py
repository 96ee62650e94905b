"""The network agent: the process (or the threads of ``nimbus up``) that makes one host's
data plane match what the network service says it must be.

It never opens the database. On the bus it

* calls ``get_host_state(host)`` on ``network-plugin`` and hands the answer to each of its
  parts in turn (L2, DHCP, security groups, QoS, L3, metadata; or the fake one);
* casts ``report_state`` every ``report_interval``: one ``AgentReport`` per agent type it
  runs, which ``GET /v2.0/agents`` shows;
* casts ``update_port_status`` when a part says a port's device is plugged or gone;
* listens to ``network.changed`` and reconciles again at once.

A reconcile pass runs on start, after each change event and every ``resync_interval``;
passes never overlap, and a burst of events within ``debounce`` seconds of each other makes
one pass. A pass that cannot reach the service is retried soon (1 s, doubling to 10 s).
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nimbus.agents.network import messages
from nimbus.agents.network.base import HostContext, Part
from nimbus.agents.network.messages import AgentReport, Changed, HostState
from nimbus.config import Settings
from nimbus.kernel.bus import Bus, BusError, Consumer, UnsupportedVersion, parse_version
from nimbus.kernel.keys import metadata_secret
from nimbus.kernel.loops import LoopRunner

log = logging.getLogger("nimbus.agent.network")

# The real driver's parts, in the order a pass runs them: module (nimbus.agents.network.*),
# class. Imported when the driver is chosen, so the rest of the agent needs none of them.
# In order: bridges and taps first (the others need them), the host's side of the
# external network before the routers that use it, the metadata proxies after the
# namespaces they live in.
LINUXBRIDGE_PARTS = [
    ("l2", "L2Part"),
    ("dhcp", "DhcpPart"),
    ("security_groups", "SecurityGroupsPart"),
    ("qos", "QosPart"),
    ("external", "ExternalPart"),
    ("l3", "L3Part"),
    ("metadata_proxy", "MetadataProxyPart"),
]
DATA_PLANE_TOOLS = ("ip", "nft", "dnsmasq")
# Both drivers serve every agent type Neutron's Linux-bridge deployment has.
AGENT_TYPES = tuple(messages.AGENT_TYPES)


# --- what the agent runs with ---------------------------------------------------------


def choose_driver(settings: Settings) -> tuple[str, str]:
    """(driver, why): "linuxbridge", "fake" or "off", and a sentence for the log."""
    driver = settings.network.driver
    if driver in ("linuxbridge", "fake", "off"):
        return driver, f"[network] driver = {driver}"
    if driver != "auto":
        return "off", f"unknown [network] driver {driver!r}"
    if os.geteuid() != 0:
        return "off", "not running as root"
    missing = [tool for tool in DATA_PLANE_TOOLS if shutil.which(tool) is None]
    if missing:
        return "off", f"{', '.join(missing)} not found on PATH"
    return "linuxbridge", "running as root with ip, nft and dnsmasq"


def agent_host(settings: Settings) -> str:
    return settings.network.host or socket.gethostname()


def build_context(settings: Settings,
                  report_port_status: Callable[[str, str], None]) -> HostContext:
    host = agent_host(settings)
    state_dir = settings.data_dir / "network-agent" / host
    state_dir.mkdir(parents=True, exist_ok=True)
    return HostContext(host=host, state_dir=state_dir,
                       netns=settings.network.host_netns or None,
                       options=settings.network,
                       metadata_url=settings.network.metadata_url or
                       f"{settings.effective_public_url}/metadata/",
                       metadata_secret=metadata_secret(settings),
                       log=log, report_port_status=report_port_status)


def build_parts(driver: str, context: HostContext) -> list[Part]:
    if driver == "fake":
        from nimbus.agents.network.fake import FakePart

        return [FakePart(context)]
    parts: list[Part] = []
    for module_name, class_name in LINUXBRIDGE_PARTS:
        qualified = f"nimbus.agents.network.{module_name}"
        try:
            module = importlib.import_module(qualified)
            parts.append(getattr(module, class_name)(context))
        except Exception as e:  # noqa: BLE001 - one broken part must not stop the others
            missing = isinstance(e, ModuleNotFoundError) and e.name == qualified
            log.error("network agent: cannot load part %s.%s%s; running without it",
                      module_name, class_name, f" (no module {qualified})" if missing else "",
                      exc_info=not missing)
    return parts


# --- passes that never overlap ----------------------------------------------------------


class PassScheduler(threading.Thread):
    """Runs ``run_pass`` whenever asked, one at a time; requests that arrive within
    ``debounce`` seconds of each other (or during a pass) make one pass. ``run_pass``
    returns False to be retried after a backoff."""

    def __init__(self, run_pass: Callable[[], bool], debounce: float = 0.05,
                 max_delay: float = 0.5, retry: tuple[float, float] = (1.0, 10.0)) -> None:
        super().__init__(name="network-agent-passes", daemon=True)
        self.run_pass, self.debounce, self.max_delay = run_pass, debounce, max_delay
        self.retry_first, self.retry_max = retry
        self._cond = threading.Condition()
        self._wanted_at: float | None = None
        self._last_request = 0.0
        self._stopping = False
        self.passes = 0

    def request(self) -> None:
        with self._cond:
            now = time.monotonic()
            self._last_request = now
            if self._wanted_at is None or self._wanted_at > now:  # (a retry set for later)
                self._wanted_at = now
            self._cond.notify_all()

    def _wait_for_work(self) -> bool:
        """Blocks until a pass is due (quiet for ``debounce``); False when stopping."""
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._wanted_at is None or self._wanted_at > now:
                    self._cond.wait(None if self._wanted_at is None else self._wanted_at - now)
                    continue
                quiet_at = self._last_request + self.debounce
                if now < quiet_at and now - self._wanted_at < self.max_delay:
                    self._cond.wait(quiet_at - now)
                    continue
                self._wanted_at = None
                return True
            return False

    def run(self) -> None:
        backoff = self.retry_first
        while self._wait_for_work():
            self.passes += 1
            try:
                ok = self.run_pass()
            except Exception:  # noqa: BLE001 - the scheduler outlives a broken pass
                log.exception("network agent: reconcile pass failed")
                ok = False
            if ok:
                backoff = self.retry_first
                continue
            with self._cond:
                retry_at = time.monotonic() + backoff
                if self._wanted_at is None or self._wanted_at > retry_at:
                    self._wanted_at = retry_at
            backoff = min(backoff * 2, self.retry_max)

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


class _Task:
    def __init__(self, name: str, interval: float, run: Callable[[], None]) -> None:
        self.name, self.interval, self._run = name, interval, run

    def run_once(self) -> None:
        self._run()


# --- the agent ------------------------------------------------------------------------


class NetworkAgent:
    """One host's network agent; ``start()`` / ``stop()``, threads inside."""

    BUS_VERSION = messages.VERSION  # of the events it takes

    def __init__(self, settings: Settings, bus: Bus, *, driver: str | None = None,
                 parts: list[Part] | None = None, call_timeout: float = 10.0,
                 debounce: float = 0.05) -> None:
        self.settings, self.bus, self.call_timeout = settings, bus, call_timeout
        self.driver = driver or choose_driver(settings)[0]
        self.context = build_context(settings, self.report_port_status)
        self.host = self.context.host
        self.parts = parts if parts is not None else build_parts(self.driver, self.context)
        self.scheduler = PassScheduler(self.reconcile_once, debounce=debounce)
        self.runner = LoopRunner(max_parallel=2)
        self.started_at = 0.0
        self.last_state: HostState | None = None
        self._reported: dict[str, str] = {}
        self._report_lock = threading.Lock()
        self._subscription: Consumer | None = None
        self._stopped = threading.Event()

    def start(self) -> None:
        self.started_at = time.time()
        log.info("network agent on host %s (pid %d): driver %s, parts %s, bus %s", self.host,
                 os.getpid(), self.driver, ", ".join(p.name for p in self.parts) or "none",
                 getattr(self.bus, "name", "memory"))
        self._subscription = self.bus.subscribe(messages.CHANGED_EVENT, self)
        self.scheduler.start()
        self.scheduler.request()
        network = self.settings.network
        self.runner.add(_Task("network-heartbeat", network.report_interval, self.send_reports))
        self.runner.add(_Task("network-resync", network.resync_interval,
                              self.scheduler.request), initial_delay=network.resync_interval)
        self.runner.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._subscription is not None:
            self._subscription.stop()
            self._subscription = None
        self.runner.stop()
        # A pass waiting on the service is not waited for long: an answer that comes after
        # this changes nothing (see reconcile_once), and the next start reconciles anyway.
        self.scheduler.stop(timeout=3.0)
        log.info("network agent on host %s stopped", self.host)

    # --- events -----------------------------------------------------------------------
    def on_network_changed(self, **payload: Any) -> None:
        changed = messages.from_wire(Changed, payload)
        if self._concerns_me(changed):
            self.scheduler.request()

    def _concerns_me(self, changed: Changed) -> bool:
        if changed.everything or not changed.hosts or self.host in changed.hosts:
            return True
        state = self.last_state
        if state is None:
            return True
        mine = ({n.id for n in state.networks} | {r.id for r in state.routers}
                | {g.id for g in state.security_groups})
        return bool(mine & {*changed.networks, *changed.routers, *changed.security_groups})

    # --- one pass ---------------------------------------------------------------------
    def reconcile_once(self) -> bool:
        """Fetch the desired state and run every part on it; False when the service could
        not be asked (retried soon). A refused state counts as done: asking again soon
        would get the same answer."""
        try:
            wire = self.bus.call(messages.PLUGIN_TOPIC, "get_host_state", {"host": self.host},
                                 version=messages.VERSION, timeout=self.call_timeout)
        except UnsupportedVersion as e:
            log.error("network agent: the service refused get_host_state: %s", e)
            return True
        except BusError as e:
            log.warning("network agent: cannot fetch the state of host %s: %s", self.host, e)
            return False
        state = self.accept_state(wire)
        if state is None or self._stopped.is_set():
            return True
        self.last_state = state
        for part in self.parts:
            self._run_part(part, state)
        return True

    def accept_state(self, wire: Any) -> HostState | None:
        """The HostState in an answer, or None (logged) for one this agent cannot read."""
        if not isinstance(wire, dict):
            log.error("network agent: refused a host state that is not an object: %.200r",
                      wire)
            return None
        try:
            major = parse_version(str(wire.get("version", "")))[0]
        except UnsupportedVersion as e:
            log.error("network agent: refused host state: %s", e)
            return None
        if major != parse_version(messages.VERSION)[0]:
            log.error("network agent: refused host state version %s (this agent speaks %s)",
                      wire.get("version"), messages.VERSION)
            return None
        try:
            return messages.from_wire(HostState, wire)
        except (TypeError, ValueError) as e:
            log.error("network agent: refused a malformed host state: %s", e)
            return None

    def _run_part(self, part: Part, state: HostState) -> None:
        try:
            changes = part.reconcile(state)
        except Exception:  # noqa: BLE001 - one broken part must not stop the others
            log.exception("network agent: part %s failed to reconcile", part.name)
            return
        for change in changes:
            log.info("network agent: %s: %s", part.name, change)

    # --- reports ----------------------------------------------------------------------
    def reports(self) -> list[AgentReport]:
        configurations: dict[str, object] = {
            "driver": self.driver, "parts": [p.name for p in self.parts],
            "devices": len(self._reported)}
        # What the parts say of themselves (the L2 part: mappings, tunneling_ip...).
        for part in self.parts:
            own = getattr(part, "configurations", None)
            if callable(own):
                try:
                    configurations.update(own())
                except Exception:  # noqa: BLE001 - a report must go out regardless
                    log.exception("network agent: part %s has no configuration", part.name)
        return [AgentReport(host=self.host, agent_type=kind, started_at=self.started_at,
                            configurations=dict(configurations)) for kind in AGENT_TYPES]

    def send_reports(self) -> None:
        for report in self.reports():
            self.bus.cast(messages.PLUGIN_TOPIC, "report_state",
                          {"report": messages.to_wire(report)}, version=messages.VERSION)

    def report_port_status(self, port_id: str, status: str) -> None:
        with self._report_lock:
            if self._reported.get(port_id) == status:
                return
            self._reported[port_id] = status
        try:
            self.bus.cast(messages.PLUGIN_TOPIC, "update_port_status",
                          {"port_id": port_id, "status": status, "host": self.host},
                          version=messages.VERSION)
        except Exception as e:  # noqa: BLE001 - the broker's errors are kombu's own
            log.warning("network agent: cannot report port %s %s: %s", port_id, status, e)
            with self._report_lock:
                self._reported.pop(port_id, None)  # said again on the next pass


def start_agent(settings: Settings, bus: Bus | None = None) -> NetworkAgent | None:
    """Start the agent the settings ask for, on ``bus`` (the process bus by default); None
    (and one log line saying why) when the data plane is off."""
    driver, why = choose_driver(settings)
    if driver == "off":
        log.warning("network agent: the data plane is off (%s); the API still runs", why)
        return None
    if bus is None:
        from nimbus.kernel.bus import bus_for

        bus = bus_for(settings)
    agent = NetworkAgent(settings, bus, driver=driver)
    agent.start()
    return agent


def state_dir_of(settings: Settings) -> Path:
    return settings.data_dir / "network-agent" / agent_host(settings)


def run_until_signalled(settings: Settings) -> int:
    """`nimbus agent network`: run the agent on the shared bus until SIGTERM or SIGINT;
    the exit status."""
    from nimbus.kernel.bus import run_agent_until_signalled

    return run_agent_until_signalled("network", start_agent, settings)
