"""Rebuild, rescue, and shelve / shelve offload / unshelve: the actions that change what a
server runs from, or where it lives."""

from __future__ import annotations

import logging
from typing import Any

from nimbus.agents.compute import messages as m
from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.services.compute.models.servers import Instance
from nimbus.services.compute.service import records, states
from nimbus.services.compute.service.guest_spec import config_drive_of, image_of
from nimbus.services.compute.service.states import (
    ACTIVE,
    ERROR,
    PAUSED,
    RESCUED,
    SHELVED,
    SHELVED_OFFLOADED,
    STOPPED,
    SUSPENDED,
)

log = logging.getLogger("nimbus.compute.lifecycle")


def image_info(record: Any) -> dict[str, Any]:
    return {"disk_format": record.disk_format, "size": record.size,
            "checksum": record.checksum, "os_hash_algo": record.os_hash_algo,
            "os_hash_value": record.os_hash_value,
            "container_format": record.container_format, "min_disk": record.min_disk,
            "properties": dict(record.properties)}


class Lifecycle:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db

    def _start(self, ctx: RequestContext, server_id: str, action: str,
               vm_states: tuple[str, ...], task_state: str, request_id: str | None,
               **changes: Any) -> tuple[str, dict[str, Any]]:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            self.compute.servers.check_unlocked(ctx, row)
            states.check_state(action, row.id, row.vm_state, row.task_state, vm_states)
            row.task_state = task_state
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            records.start_action(s, row, action, ctx, request_id)
            s.flush()
            return str(row.host or ""), self.compute.servers.views(s, [row],
                                                                   addresses=False)[0]

    def _end(self, server_id: str, event: str, error: Exception | None,
             **values: Any) -> None:
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            if row is None or row.deleted or row.task_state == "deleting":
                return
            row.task_state = None
            if error is None:
                for key, value in values.items():
                    setattr(row, key, value)
            else:
                records.add_fault(s, row, str(error)[:255])
            row.updated_at = utcnow()
            records.finish_event(s, server_id, event, error)

    # -- rebuild -------------------------------------------------------------------------
    def rebuild(self, ctx: RequestContext, server_id: str, image_ref: str,
                changes: dict[str, Any], request_id: str | None) -> dict[str, Any]:
        """A new root disk from ``image_ref``; the ports (and addresses) stay."""
        record = self.compute.resources.image(ctx, image_ref)
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            request = dict(row.request or {})
        request["image"] = image_info(record)
        host, view = self._start(ctx, server_id, "rebuild", (ACTIVE, STOPPED, ERROR),
                                 "rebuilding", request_id, image_ref=record.id,
                                 request=request, **changes)
        self.compute.builder.submit(self._rebuild, ctx, server_id, host)
        return view

    def _rebuild(self, ctx: RequestContext, server_id: str, host: str) -> None:
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            if row is None:
                return
            view = self.compute.servers.views(s, [row], addresses=False)[0]
            was = row.vm_state
        ports = self.compute.networking.ports_of([server_id])
        image = image_of(self.compute, ctx, view["image_ref"],
                         (view.get("request") or {}).get("image") or {})
        error: Exception | None = None
        try:
            info = self.compute.agent_api.rebuild(host, server_id, image,
                                                  config_drive_of(self.compute, view, ports))
        except Exception as err:  # noqa: BLE001 - a fault
            error, info = err, None
        after = ERROR if error else (ACTIVE if info and info.power_state == m.RUNNING
                                     else STOPPED if was == STOPPED else ACTIVE)
        self._end(server_id, "compute_rebuild_instance", error, vm_state=after,
                  power_state=info.power_state if info else m.NOSTATE,
                  launched_at=utcnow())

    # -- rescue ----------------------------------------------------------------------------
    def rescue(self, ctx: RequestContext, server_id: str, image_ref: str | None,
               password: str, request_id: str | None) -> None:
        with self.db.session() as s:
            current = self.compute.servers.row(s, ctx, server_id).image_ref
        record = self.compute.resources.image(ctx, image_ref or current)
        host, _view = self._start(ctx, server_id, "rescue", (ACTIVE, STOPPED, ERROR),
                                  "rescuing", request_id)
        image = image_of(self.compute, ctx, record.id, image_info(record))
        self.compute.builder.submit(self._rescue, server_id, host, image, password)

    def _rescue(self, server_id: str, host: str, image: m.ImageRef, password: str) -> None:
        try:
            info = self.compute.agent_api.rescue(host, server_id, image, password)
        except Exception as err:  # noqa: BLE001 - a fault
            self._end(server_id, "compute_rescue_instance", err)
            return
        self._end(server_id, "compute_rescue_instance", None, vm_state=RESCUED,
                  power_state=info.power_state)

    # -- shelve ----------------------------------------------------------------------------
    def shelve(self, ctx: RequestContext, server_id: str, request_id: str | None) -> None:
        """A snapshot kept as "<name>-shelved", the guest powered off (SHELVED); offloaded
        at once when [compute] says so (Nova's shelved_offload_time 0)."""
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            self.compute.servers.check_unlocked(ctx, row)
            states.check_state("shelve", row.id, row.vm_state, row.task_state,
                               (ACTIVE, STOPPED, PAUSED, SUSPENDED))
            name = f"{row.display_name}-shelved"
        image_id = self.compute.snapshots.create(ctx, server_id, name, {}, request_id,
                                                 then=self._shelved)
        log.info("instance %s: shelving to image %s", server_id, image_id)

    def _shelved(self, ctx: RequestContext, server_id: str, host: str, image_id: str) -> None:
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            if row is None or row.deleted:
                return
            row.request = {**(row.request or {}), "shelved_image_id": image_id}
            row.task_state = "shelving"
        try:
            info = self.compute.agent_api.power_off(host, server_id)
        except Exception as err:  # noqa: BLE001 - a fault
            self._end(server_id, "compute_shelve_instance", err)
            return
        self._end(server_id, "compute_shelve_instance", None, vm_state=SHELVED,
                  power_state=info.power_state)

    def shelve_offload(self, ctx: RequestContext, server_id: str, request_id: str | None
                       ) -> None:
        host, _view = self._start(ctx, server_id, "shelveOffload", (SHELVED,),
                                  "shelving_offloading", request_id)
        self.compute.builder.submit(self._offload, server_id, host)

    def _offload(self, server_id: str, host: str) -> None:
        try:
            if host:
                self.compute.agent_api.destroy(host, server_id)
        except Exception as err:  # noqa: BLE001 - a fault
            self._end(server_id, "compute_shelve_offload_instance", err)
            return
        self.compute.placement.remove(server_id)
        self.compute.networking.unbind_ports(server_id)
        self._end(server_id, "compute_shelve_offload_instance", None,
                  vm_state=SHELVED_OFFLOADED, power_state=m.SHUTDOWN, host=None, node=None)

    def unshelve(self, ctx: RequestContext, server_id: str, request_id: str | None) -> None:
        with self.db.session() as s:
            vm_state = self.compute.servers.row(s, ctx, server_id).vm_state
        if vm_state == SHELVED:
            host, _view = self._start(ctx, server_id, "unshelve", (SHELVED,), "unshelving",
                                      request_id)
            self.compute.builder.submit(self._power_back, ctx, server_id, host)
            return
        self._start(ctx, server_id, "unshelve", (SHELVED_OFFLOADED,), "unshelving",
                    request_id)
        self.compute.builder.start_unshelve(ctx, server_id)

    def _power_back(self, ctx: RequestContext, server_id: str, host: str) -> None:
        try:
            info = self.compute.agent_api.power_on(host, server_id)
        except Exception as err:  # noqa: BLE001 - a fault
            self._end(server_id, "compute_unshelve_instance", err)
            return
        self._end(server_id, "compute_unshelve_instance", None, vm_state=ACTIVE,
                  power_state=info.power_state)
        self.drop_shelved_image(ctx, server_id)

    def drop_shelved_image(self, ctx: RequestContext, server_id: str) -> None:
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            if row is None:
                return
            request = dict(row.request or {})
            image_id = request.pop("shelved_image_id", None)
            row.request = request
        if image_id:
            self.compute.snapshots.drop_image(ctx, image_id)
