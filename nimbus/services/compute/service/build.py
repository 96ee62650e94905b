"""What happens after the API answered (Nova's conductor and compute manager): a boot's
schedule -> claim -> ports -> spawn -> network-vif-plugged -> ACTIVE, and a delete's
guest, ports and allocations going. Each runs on a small pool of threads; a failed boot
ends in ERROR with a fault, its allocations and ports removed."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from sqlalchemy import select

from nimbus.agents.compute import messages as m
from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.services.compute.models.servers import BlockDeviceMapping, Instance
from nimbus.services.compute.scheduler.driver import NoValidHost
from nimbus.services.compute.scheduler.host_state import RequestSpec
from nimbus.services.compute.service import records, states
from nimbus.services.compute.service.guest_spec import guest_spec
from nimbus.services.compute.service.networking import RequestedNic

log = logging.getLogger("nimbus.compute.build")

BUILD_EVENT = "compute__do_build_and_run_instance"
# Background jobs (boots, deletes, actions) running at once in a process.
WORKERS = 8
DELETE_EVENT = "compute_terminate_instance"


class BuildAborted(Exception):  # noqa: N818 - a signal, not an error
    """The instance was deleted while it was being built."""


class Builder:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db
        # Daemon threads: a boot waiting on its ports must not hold the process open at
        # exit (an executor's threads are joined).
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        # (instance, port) -> set when Networking says the port's VIF is plugged.
        self._plugged: dict[tuple[str, str], threading.Event] = {}

    def start_build(self, ctx: RequestContext, instance_id: str) -> None:
        self.submit(self.build, ctx, instance_id)

    def start_delete(self, instance_id: str) -> None:
        self.submit(self.terminate, instance_id)

    def submit(self, work: Any, *args: Any) -> None:
        with self._lock:
            if not self._workers:
                for n in range(WORKERS):
                    thread = threading.Thread(target=self._work, daemon=True,
                                              name=f"compute-build-{n}")
                    self._workers.append(thread)
                    thread.start()
        self._jobs.put((work, args))

    def _work(self) -> None:
        while not self._stopping.is_set():
            work, args = self._jobs.get()
            if work is None:
                return
            self._guarded(work, *args)

    @staticmethod
    def _guarded(work: Any, *args: Any) -> None:
        try:
            work(*args)
        except Exception:  # noqa: BLE001 - a background job: logged, never lost silently
            log.exception("compute: background %s failed", getattr(work, "__name__", work))

    def close(self) -> None:
        self._stopping.set()
        for _ in self._workers:
            self._jobs.put((None, ()))

    # -- boot -----------------------------------------------------------------------------
    def build(self, ctx: RequestContext, instance_id: str) -> None:
        host: str | None = None
        try:
            host = self._schedule(instance_id)
            ports = self._ports(ctx, instance_id, host)
            self._set(instance_id, task_state="spawning")
            info = self.compute.agent_api.spawn(host, self._spec(ctx, instance_id, ports))
            self._wait_plugged(instance_id, [p["id"] for p in ports])
            self._finish_build(instance_id, info)
        except BuildAborted:
            log.info("instance %s: deleted while building", instance_id)
            self._release(instance_id, host)
        except Exception as err:  # noqa: BLE001 - any failure ends the boot in ERROR
            self._fail_build(instance_id, host, err)

    def _schedule(self, instance_id: str, event: str = BUILD_EVENT) -> str:
        with self.db.session() as s:
            row = self._live(s, instance_id)
            records.start_event(s, row.id, event)
            spec = self._request_spec(s, row)
        chosen = self.compute.scheduler.select_and_claim(spec)
        self._set(instance_id, host=chosen.host, node=chosen.node, task_state="networking",
                  availability_zone=spec.availability_zone or chosen.availability_zone)
        return str(chosen.host)

    def _request_spec(self, s: Any, row: Instance) -> RequestSpec:
        request = row.request or {}
        zone = request.get("availability_zone") or ""
        az, _, forced = zone.partition(":")
        force_host, _, force_node = forced.partition(":")
        hints = request.get("hints") or {}
        spec = RequestSpec(instance_uuid=row.id, project_id=row.project_id,
                           user_id=row.user_id, flavor=row.flavor,
                           image_properties=(request.get("image") or {}).get("properties", {}),
                           availability_zone=az or None, hints=hints,
                           force_host=force_host or None, force_node=force_node or None)
        named = [str(u) for key in ("same_host", "different_host")
                 for u in ([hints[key]] if isinstance(hints.get(key), str)
                           else hints.get(key) or [])]
        if named:
            spec.instance_hosts = {i: h for i, h in s.execute(
                select(Instance.id, Instance.host).where(Instance.id.in_(named))) if h}
        group = self.compute.resources.server_group(str(hints["group"])) \
            if hints.get("group") else None
        if group is not None:
            others = [m for m in group["members"] if m != row.id]
            spec.group_policy = group["policy"]
            spec.group_hosts = [h for h in s.scalars(select(Instance.host).where(
                Instance.id.in_(others), Instance.deleted == 0)) if h]
            spec.group_max_server_per_host = int(
                (group.get("rules") or {}).get("max_server_per_host", 1))
        return spec

    def _ports(self, ctx: RequestContext, instance_id: str, host: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            row = self._live(s, instance_id)
            view = {"id": row.id, "project_id": row.project_id,
                    "availability_zone": row.availability_zone}
            request = row.request or {}
        nics = [RequestedNic(**n) for n in request.get("nics") or []]
        for nic in nics:
            if nic.port_id:
                self._expect(instance_id, nic.port_id)
        ports = self.compute.networking.make_ports(ctx, view, host, nics,
                                                   request.get("security_group_ids"))
        for port in ports:
            self._expect(instance_id, port["id"])
        return ports

    def _spec(self, ctx: RequestContext, instance_id: str, ports: list[dict[str, Any]]
              ) -> m.GuestSpec:
        with self.db.session() as s:
            row = self._live(s, instance_id)
            view = self.compute.servers.views(s, [row], addresses=False)[0]
            view["bdms"] = [{c.name: getattr(b, c.name) for c in b.__table__.columns}
                            for b in s.scalars(select(BlockDeviceMapping).where(
                                BlockDeviceMapping.instance_id == instance_id))]
        return guest_spec(self.compute, ctx, view, ports)

    # -- unshelve of an offloaded server ------------------------------------------------------
    def start_unshelve(self, ctx: RequestContext, instance_id: str) -> None:
        self.submit(self.unshelve, ctx, instance_id)

    def unshelve(self, ctx: RequestContext, instance_id: str) -> None:
        """Scheduled again, its ports bound to the new host, spawned from the shelved
        image (which then goes)."""
        host: str | None = None
        try:
            host = self._schedule(instance_id, event="compute_unshelve_instance")
            ports = self.compute.networking.bind_ports(instance_id, host)
            for port in ports:
                self._expect(instance_id, port["id"])
            self._set(instance_id, task_state="spawning")
            spec = self._spec(ctx, instance_id, ports)
            with self.db.session() as s:
                row = self._live(s, instance_id)
                shelved = (row.request or {}).get("shelved_image_id")
            if shelved:
                spec.image = self._shelved_image(ctx, spec.image, shelved)
            info = self.compute.agent_api.spawn(host, spec)
            self._wait_plugged(instance_id, [p["id"] for p in ports])
            self._finish_build(instance_id, info, event="compute_unshelve_instance")
            self.compute.lifecycle.drop_shelved_image(ctx, instance_id)
        except BuildAborted:
            self._release(instance_id, host)
        except Exception as err:  # noqa: BLE001 - back to SHELVED_OFFLOADED with a fault
            log.warning("instance %s: unshelve failed: %s", instance_id, err)
            if host:
                self.compute.placement.remove(instance_id)
            self.compute.networking.unbind_ports(instance_id)
            with self.db.session() as s:
                row = s.get(Instance, instance_id)
                if row is not None and not row.deleted:
                    row.vm_state, row.task_state, row.host, row.node = \
                        states.SHELVED_OFFLOADED, None, None, None
                    records.add_fault(s, row, str(err)[:255])
                    records.finish_event(s, row.id, "compute_unshelve_instance", err)

    def _shelved_image(self, ctx: RequestContext, current: m.ImageRef, image_id: str
                       ) -> m.ImageRef:
        from nimbus.services.compute.service.guest_spec import image_of
        from nimbus.services.compute.service.lifecycle import image_info

        try:
            record = self.compute.resources.image(ctx, image_id)
        except Exception:  # noqa: BLE001 - the shelved image went: boot the original
            return current
        return image_of(self.compute, ctx, record.id, image_info(record))

    # -- network-vif-plugged ---------------------------------------------------------------
    def _expect(self, instance_id: str, port_id: str) -> None:
        with self._lock:
            self._plugged.setdefault((instance_id, port_id), threading.Event())

    def vif_plugged(self, instance_id: str, port_id: str) -> bool:
        """Networking's network-vif-plugged for a port of the instance; False if nobody
        waits for it."""
        with self._lock:
            event = self._plugged.get((instance_id, port_id))
        if event is None:
            return False
        event.set()
        return True

    def _wait_plugged(self, instance_id: str, port_ids: list[str]) -> None:
        """Until every port is plugged (an event, or the port ACTIVE in Networking), for at
        most vif_plugging_timeout seconds."""
        deadline = time.monotonic() + self.compute.options.vif_plugging_timeout
        pending = list(port_ids)
        while pending:
            with self._lock:
                events = {p: self._plugged.get((instance_id, p)) for p in pending}
            status = self.compute.networking.port_status(pending)
            pending = [p for p in pending if status.get(p) != "ACTIVE"
                       and not (events[p] is not None and events[p].is_set())]  # type: ignore
            if not pending:
                break
            if time.monotonic() > deadline or self._stopping.is_set():
                raise TimeoutError(f"Timed out waiting for network-vif-plugged of "
                                   f"port(s) {', '.join(pending)}")
            first = events.get(pending[0])
            if first is not None:
                first.wait(0.25)
            else:
                time.sleep(0.25)
            self._check_live(instance_id)
        with self._lock:
            for p in port_ids:
                self._plugged.pop((instance_id, p), None)

    # -- the end of a boot ----------------------------------------------------------------
    def _finish_build(self, instance_id: str, info: m.GuestInfo, event: str = BUILD_EVENT
                      ) -> None:
        with self.db.session() as s:
            row = self._live(s, instance_id)
            row.vm_state = states.ACTIVE
            row.task_state = None
            row.power_state = info.power_state or m.RUNNING
            row.launched_at = utcnow()
            row.updated_at = utcnow()
            row.progress = 0
            records.finish_event(s, row.id, event)

    def _fail_build(self, instance_id: str, host: str | None, err: Exception) -> None:
        message = str(err) if isinstance(err, NoValidHost) else \
            f"Build of instance {instance_id} aborted: {err}"
        log.warning("instance %s: %s", instance_id, message)
        self._release(instance_id, host)
        with self.db.session() as s:
            row = s.get(Instance, instance_id)
            if row is None or row.deleted:
                return
            row.vm_state = states.ERROR
            row.task_state = None if row.task_state != "deleting" else "deleting"
            row.updated_at = utcnow()
            records.add_fault(s, row, message, 500, "")
            records.finish_event(s, row.id, BUILD_EVENT, err)

    def _release(self, instance_id: str, host: str | None) -> None:
        """The guest, ports and allocations of a boot that did not finish."""
        if host:
            try:
                self.compute.agent_api.destroy(host, instance_id)
            except Exception as gone:  # noqa: BLE001 - cleanup goes on
                log.info("instance %s: destroy after a failed boot: %s", instance_id, gone)
        self.compute.networking.release_ports(instance_id)
        self.compute.placement.remove(instance_id)

    # -- delete ---------------------------------------------------------------------------
    def terminate(self, instance_id: str) -> None:
        with self.db.session() as s:
            row = s.get(Instance, instance_id)
            if row is None or row.deleted:
                return
            host = row.host
            records.start_event(s, row.id, DELETE_EVENT, host)
        if host:
            try:
                self.compute.agent_api.destroy(host, instance_id)
            except Exception as err:  # noqa: BLE001 - the host may be gone for good
                log.warning("instance %s: destroy on %s failed: %s", instance_id, host, err)
        self.compute.networking.release_ports(instance_id)
        self.compute.placement.remove(instance_id)
        self.compute.resources.leave_group(instance_id)
        with self.db.session() as s:
            row = s.get(Instance, instance_id)
            if row is None:
                return
            row.vm_state = states.DELETED
            row.task_state = None
            row.power_state = m.NOSTATE
            row.deleted = 1
            row.deleted_at = row.terminated_at = row.updated_at = utcnow()
            records.finish_event(s, row.id, DELETE_EVENT)

    # -- helpers --------------------------------------------------------------------------
    def _live(self, s: Any, instance_id: str) -> Instance:
        row = s.get(Instance, instance_id)
        if row is None or row.deleted or row.task_state == "deleting":
            raise BuildAborted()
        return row  # type: ignore[no-any-return]

    def _check_live(self, instance_id: str) -> None:
        with self.db.session() as s:
            self._live(s, instance_id)

    def _set(self, instance_id: str, **values: Any) -> None:
        with self.db.session() as s:
            row = self._live(s, instance_id)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
