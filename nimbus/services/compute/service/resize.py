"""Resize on the instance's host (Nova's resize to the same host): a migration record, the
new flavor claimed in Placement, the agent resizing the guest, VERIFY_RESIZE until the
user (or resize_confirm_window) confirms it, or a revert to the old flavor."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select

from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import BadRequest, Conflict
from nimbus.services.compute.models.servers import Instance, Migration
from nimbus.services.compute.scheduler.driver import resources_of
from nimbus.services.compute.scheduler.placement_client import ClaimConflict, node_uuid
from nimbus.services.compute.service import records, states
from nimbus.services.compute.service.guest_spec import flavor_of

log = logging.getLogger("nimbus.compute.resize")


class Resizes:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db

    def resize(self, ctx: RequestContext, server_id: str, flavor_ref: str,
               request_id: str | None) -> None:
        new = self.compute.resources.flavor(ctx, flavor_ref)
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            self.compute.servers.check_unlocked(ctx, row)
            states.check_state("resize", row.id, row.vm_state, row.task_state,
                               (states.ACTIVE, states.STOPPED))
            if new["id"] == row.flavor_id:
                raise BadRequest("When resizing, instances must change flavor!")
            if row.flavor.get("disk") and new["disk"] < row.flavor["disk"]:
                raise BadRequest("Resize error: Unable to resize disk down.")
            host = str(row.host)
        # Placement writes in a transaction of its own: not inside ours (on SQLite the two
        # would wait on each other's write lock).
        self._claim(row, new)
        try:
            self._start(ctx, server_id, row, new, request_id)
        except Exception:
            self._hold(row, row.flavor)
            raise
        self.compute.builder.submit(self._resize, server_id, host, new)

    def _start(self, ctx: RequestContext, server_id: str, claimed: Instance,
               new: dict[str, Any], request_id: str | None) -> None:
        """The migration record and the task state, if nothing moved since the checks."""
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            states.check_state("resize", row.id, row.vm_state, row.task_state,
                               (states.ACTIVE, states.STOPPED))
            host = str(claimed.host)
            s.add(Migration(uuid=str(uuid.uuid4()), instance_id=row.id, status="migrating",
                            source_compute=host, dest_compute=host, source_node=row.node,
                            dest_node=row.node, old_flavor=row.flavor, new_flavor=new,
                            project_id=row.project_id, user_id=row.user_id))
            row.task_state = "resize_prep"
            row.updated_at = utcnow()
            records.start_action(s, row, "resize", ctx, request_id)

    def _claim(self, row: Instance, flavor: dict[str, Any]) -> None:
        """Old and new flavor both held (Nova holds the source's on the migration)."""
        placement = self.compute.placement
        held, generation = placement.allocations(row.id)
        rp = next(iter(held), node_uuid(str(row.host)))
        wanted = {rc: max(n, held.get(rp, {}).get(rc, 0))
                  for rc, n in resources_of(flavor).items()}
        try:
            placement.claim(row.id, {rp: wanted}, row.project_id, row.user_id, generation)
        except ClaimConflict:
            raise Conflict("No valid host was found. There are not enough resources on the "
                           "instance's host for the new flavor.") from None

    def _resize(self, server_id: str, host: str, new: dict[str, Any]) -> None:
        event = "compute_resize_instance"
        with self.db.session() as s:
            records.start_event(s, server_id, event, host)
        try:
            info = self.compute.agent_api.resize(host, server_id, flavor_of(new))
        except Exception as err:  # noqa: BLE001 - a fault, and the old flavor stays
            self._end(server_id, event, None, err)
            return
        self._end(server_id, event, new, None, info.power_state)
        window = self.compute.options.resize_confirm_window
        if window > 0:
            self.compute.builder.submit(self._auto_confirm, server_id, float(window))

    def _end(self, server_id: str, event: str, new: dict[str, Any] | None,
             error: Exception | None, power_state: int | None = None) -> None:
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            migration = self._migration(s, server_id, "migrating")
            if row is None or row.deleted:
                return
            row.task_state = None
            if new is not None:
                row.flavor, row.flavor_id = new, new["id"]
                row.vm_state = states.RESIZED
                if power_state is not None:
                    row.power_state = power_state
                if migration is not None:
                    migration.status = "finished"
                    migration.updated_at = utcnow()
            elif migration is not None:
                migration.status = "error"
                records.add_fault(s, row, str(error)[:255])
            row.updated_at = utcnow()
            records.finish_event(s, server_id, event, error)

    @staticmethod
    def _migration(s: Any, server_id: str, status: str) -> Migration | None:
        return s.scalars(select(Migration).where(  # type: ignore[no-any-return]
            Migration.instance_id == server_id, Migration.status == status)
            .order_by(Migration.id.desc())).first()

    def confirm(self, ctx: RequestContext, server_id: str, request_id: str | None) -> None:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            migration = self._migration(s, server_id, "finished")
            if row.vm_state != states.RESIZED or migration is None:
                raise Conflict(f"Cannot 'confirmResize' instance {server_id} while it is in "
                               f"vm_state {row.vm_state}")
            migration.status = "confirmed"
            migration.updated_at = utcnow()
            row.vm_state = states.ACTIVE if row.power_state == 1 else states.STOPPED
            row.updated_at = utcnow()
            records.start_action(s, row, "confirmResize", ctx, request_id)
        self._hold(row, row.flavor)
        self.compute.builder.submit(self._confirm_on_host, server_id, str(row.host))

    def _confirm_on_host(self, server_id: str, host: str) -> None:
        """The agent lets go of what it kept for a revert (the old disks)."""
        try:
            self.compute.agent_api.confirm_resize(host, server_id)
        except Exception as err:  # noqa: BLE001 - the resize stands; the host keeps extra
            log.warning("instance %s: confirming the resize on %s: %s", server_id, host, err)

    def _hold(self, row: Instance, flavor: dict[str, Any]) -> None:
        placement = self.compute.placement
        held, generation = placement.allocations(row.id)
        rp = next(iter(held), node_uuid(str(row.host)))
        try:
            placement.claim(row.id, {rp: resources_of(flavor)}, row.project_id, row.user_id,
                            generation)
        except ClaimConflict as err:
            log.warning("instance %s: allocations not shrunk: %s", row.id, err)

    def revert(self, ctx: RequestContext, server_id: str, request_id: str | None) -> None:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            migration = self._migration(s, server_id, "finished")
            if row.vm_state != states.RESIZED or migration is None:
                raise Conflict(f"Cannot 'revertResize' instance {server_id} while it is in "
                               f"vm_state {row.vm_state}")
            migration.status = "reverting"
            row.task_state = "resize_reverting"
            row.updated_at = utcnow()
            records.start_action(s, row, "revertResize", ctx, request_id)
            old, host = dict(migration.old_flavor), str(row.host)
        self.compute.builder.submit(self._revert, server_id, host, old)

    def _revert(self, server_id: str, host: str, old: dict[str, Any]) -> None:
        error: Exception | None = None
        try:
            info = self.compute.agent_api.revert_resize(host, server_id)
        except Exception as err:  # noqa: BLE001 - a fault
            error, info = err, None
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            migration = self._migration(s, server_id, "reverting")
            if row is None or row.deleted:
                return
            row.task_state = None
            if error is None:
                row.flavor, row.flavor_id = old, old["id"]
                row.vm_state = states.ACTIVE if (info and info.power_state == 1) \
                    else states.STOPPED
            else:
                records.add_fault(s, row, str(error)[:255])
            if migration is not None:
                migration.status = "reverted" if error is None else "error"
            row.updated_at = utcnow()
        if error is None:
            self._hold(row, old)

    def _auto_confirm(self, server_id: str, window: float) -> None:
        import time

        time.sleep(window)
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            migration = self._migration(s, server_id, "finished")
            if row is None or row.vm_state != states.RESIZED or migration is None:
                return
            migration.status = "confirmed"
            row.vm_state = states.ACTIVE if row.power_state == 1 else states.STOPPED
            row.updated_at = utcnow()
        self._hold(row, row.flavor)
        self._confirm_on_host(server_id, str(row.host))
