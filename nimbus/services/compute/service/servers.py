"""Servers: the instance records, and what a request does to them (create, read, update,
delete). The work on hosts goes to ``build.py`` (boot and delete) in the background, as
Nova's conductor and compute manager do after the API has answered."""

from __future__ import annotations

import base64
import secrets
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nimbus.agents.compute import messages as m
from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import BadRequest, Forbidden
from nimbus.services.compute.errors import InstanceNotFound
from nimbus.services.compute.models.servers import (
    BlockDeviceMapping,
    Instance,
    InstanceFault,
    InstanceMetadata,
    InstanceTag,
)
from nimbus.services.compute.service import records, states
from nimbus.services.compute.service.networking import RequestedNic


@dataclass
class BootRequest:
    name: str
    image_ref: str
    flavor_ref: str
    nics: list[RequestedNic] | None = None      # None: "auto"; []: "none"
    networks_auto: bool = True
    key_name: str | None = None
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    config_drive: bool = False
    security_groups: list[str] = field(default_factory=list)
    availability_zone: str | None = None
    block_devices: list[dict[str, Any]] = field(default_factory=list)
    hints: dict[str, Any] = field(default_factory=dict)
    min_count: int = 1
    max_count: int = 1
    tags: list[str] = field(default_factory=list)
    description: str | None = None
    hostname: str | None = None
    admin_pass: str | None = None
    access_ip_v4: str = ""
    access_ip_v6: str = ""


def new_password(length: int = 12) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def is_admin(ctx: RequestContext) -> bool:
    return ctx.has_role("admin")


class Servers:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db

    # -- reading --------------------------------------------------------------------------
    def row(self, s: Session, ctx: RequestContext, server_id: str,
            deleted_ok: bool = False) -> Instance:
        row = s.get(Instance, server_id)
        if row is None or (row.deleted and not deleted_ok) or (
                not is_admin(ctx) and row.project_id != ctx.project_id):
            raise InstanceNotFound(server_id)
        return row

    def get(self, ctx: RequestContext, server_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            # An admin may show a deleted server (Nova reads it with read_deleted=yes).
            row = self.row(s, ctx, server_id, deleted_ok=is_admin(ctx))
            return self.views(s, [row])[0]

    def views(self, s: Session, rows: list[Instance], addresses: bool = True
              ) -> list[dict[str, Any]]:
        """Plain dicts of the rows with their metadata, tags, last fault and addresses."""
        ids = [r.id for r in rows]
        meta: dict[str, dict[str, str]] = {i: {} for i in ids}
        tags: dict[str, list[str]] = {i: [] for i in ids}
        faults: dict[str, InstanceFault] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            for md in s.scalars(select(InstanceMetadata).where(
                    InstanceMetadata.instance_id.in_(part))):
                meta[md.instance_id][md.key] = md.value
            for tag in s.scalars(select(InstanceTag).where(InstanceTag.instance_id.in_(part))
                                 .order_by(InstanceTag.tag)):
                tags[tag.instance_id].append(tag.tag)
            for fault in s.scalars(select(InstanceFault).where(
                    InstanceFault.instance_id.in_(part)).order_by(InstanceFault.id)):
                faults[fault.instance_id] = fault
        nets = self.compute.networking.addresses(ids) if addresses and ids else {}
        out = []
        for r in rows:
            view = {c.name: getattr(r, c.name) for c in Instance.__table__.columns}
            last = faults.get(r.id)
            view.update(metadata=meta[r.id], tags=tags[r.id], addresses=nets.get(r.id, {}),
                        status=states.status_of(r.vm_state, r.task_state),
                        instance_name=records.instance_name(r),
                        fault=None if last is None else {
                            "code": last.code, "message": last.message,
                            "details": last.details, "created": last.created_at})
            out.append(view)
        return out

    # -- creating -------------------------------------------------------------------------
    def create(self, ctx: RequestContext, req: BootRequest, request_id: str | None
               ) -> tuple[list[dict[str, Any]], str]:
        """The instances a boot makes (max_count of them), in BUILD; their builds start in
        the background. Returns (instances, reservation id)."""
        flavor = self.compute.resources.flavor(ctx, req.flavor_ref)
        image = self.compute.resources.image(ctx, req.image_ref)
        self._check_image_fits(image, flavor)
        key_data = self.compute.resources.key_data(ctx, req.key_name) if req.key_name \
            else None
        self._check_zone(req.availability_zone)
        nics = self._networks(ctx, req)
        group_ids = self.compute.networking.security_group_ids(ctx, req.security_groups) \
            if req.security_groups else None
        if len(nics) > 0 and any(n.port_id or n.fixed_ip for n in nics) and req.max_count > 1:
            raise BadRequest("Unable to launch multiple instances with a single configured "
                             "port ID or fixed IP. Please launch your instance one by one "
                             "with different ports or IPs.")
        req.max_count = self._check_quota(ctx, flavor, req.max_count, req.min_count)
        group = str(req.hints["group"]) if req.hints.get("group") else None
        if group is not None:
            self.compute.resources.server_group(group)
        reservation = f"r-{uuid.uuid4().hex[:8]}"
        made = self._insert(ctx, req, flavor, image, key_data, nics, group_ids, reservation,
                            request_id, group)
        for instance in made:
            self.compute.builder.start_build(ctx, instance["id"])
        return made, reservation

    def _check_zone(self, requested: str | None) -> None:
        """Nova's 400 for a zone no host is in (the default zone always exists)."""
        zone = (requested or "").split(":")[0]
        if not zone:
            return
        zones = {self.compute.options.default_availability_zone}
        aggregates = getattr(self.compute, "aggregates", None)
        if aggregates is not None and hasattr(aggregates, "list"):
            zones |= {a["availability_zone"] for a in aggregates.list()
                      if a.get("availability_zone")}
        if zone not in zones:
            raise BadRequest("The requested availability zone is not available")

    @staticmethod
    def _check_image_fits(image: Any, flavor: dict[str, Any]) -> None:
        if image.min_ram and flavor["ram"] < image.min_ram:
            raise BadRequest("Flavor's memory is too small for requested image.")
        if flavor["disk"] and image.min_disk and flavor["disk"] < image.min_disk:
            raise BadRequest("Flavor's disk is too small for requested image.")
        if flavor["disk"] and image.size and image.size > flavor["disk"] * 1024 ** 3:
            raise BadRequest("Flavor's disk is too small for requested image.")

    def _networks(self, ctx: RequestContext, req: BootRequest) -> list[RequestedNic]:
        if req.nics is None:
            return self.compute.networking.auto_networks(ctx)
        self.compute.networking.check_requested(ctx, req.nics)
        return req.nics

    def _check_quota(self, ctx: RequestContext, flavor: dict[str, Any], max_count: int,
                     min_count: int) -> int:
        """How many to make: the most from max_count down to min_count the quotas allow
        (Nova's 403 when not even min_count fits)."""
        for count in range(max_count, min_count - 1, -1):
            try:
                self.compute.resources.check_quota(ctx, flavor, count)
            except Forbidden:
                if count == min_count:
                    raise
                continue
            return count
        return min_count

    def _insert(self, ctx: RequestContext, req: BootRequest, flavor: dict[str, Any],
                image: Any, key_data: str | None, nics: list[RequestedNic],
                group_ids: list[str] | None, reservation: str, request_id: str | None,
                group: str | None) -> list[dict[str, Any]]:
        with self.db.session() as s:
            seq = int(s.scalar(select(func.max(Instance.seq))) or 0)
            rows = []
            for index in range(req.max_count):
                row = self._new_row(ctx, req, flavor, image, key_data, nics, group_ids,
                                    reservation, index, seq + index + 1)
                s.add(row)
                s.flush()
                self._children(s, row, req, image)
                if group is not None:
                    self.compute.resources.join_group(group, row.id)
                records.start_action(s, row, "create", ctx, request_id)
                rows.append(row)
            s.flush()
            views = self.views(s, rows, addresses=False)
        for view in views:
            view["admin_pass"] = req.admin_pass
        return views

    def _new_row(self, ctx: RequestContext, req: BootRequest, flavor: dict[str, Any],
                 image: Any, key_data: str | None, nics: list[RequestedNic],
                 group_ids: list[str] | None, reservation: str, index: int, seq: int
                 ) -> Instance:
        server_id = str(uuid.uuid4())
        name = req.name if req.max_count == 1 else f"{req.name}-{index + 1}"
        hostname = req.hostname or sanitized(req.name, server_id, req.max_count, index)
        now = utcnow()
        return Instance(
            id=server_id, seq=seq, display_name=name, project_id=ctx.project_id or "",
            user_id=ctx.user_id or "", hostname=hostname, description=req.description,
            image_ref=image.id, flavor_id=flavor["id"], flavor=flavor, vm_state=states.BUILDING,
            task_state="scheduling", power_state=m.NOSTATE,
            availability_zone=req.availability_zone.split(":")[0] or None
            if req.availability_zone else None,
            created_at=now, updated_at=now, key_name=req.key_name, key_data=key_data,
            user_data=req.user_data, config_drive="True" if req.config_drive else "",
            access_ip_v4=req.access_ip_v4, access_ip_v6=req.access_ip_v6,
            reservation_id=reservation, launch_index=index,
            security_groups=list(req.security_groups) or ["default"],
            request={"nics": [vars(n) for n in nics], "security_group_ids": group_ids,
                     "hints": req.hints, "availability_zone": req.availability_zone,
                     "admin_pass": req.admin_pass,
                     "image": {"disk_format": image.disk_format, "size": image.size,
                               "checksum": image.checksum,
                               "os_hash_algo": image.os_hash_algo,
                               "os_hash_value": image.os_hash_value,
                               "container_format": image.container_format,
                               "min_disk": image.min_disk,
                               "properties": dict(image.properties)}})

    @staticmethod
    def _children(s: Session, row: Instance, req: BootRequest, image: Any) -> None:
        for key, value in req.metadata.items():
            s.add(InstanceMetadata(instance_id=row.id, key=key, value=value))
        for tag in dict.fromkeys(req.tags):
            s.add(InstanceTag(instance_id=row.id, tag=tag))
        s.add(BlockDeviceMapping(instance_id=row.id, source_type="image",
                                 destination_type="local", boot_index=0, image_id=image.id,
                                 device_name="/dev/vda", delete_on_termination=True))
        for bdm in req.block_devices:
            s.add(BlockDeviceMapping(instance_id=row.id, **bdm))

    # -- updating ---------------------------------------------------------------------------
    def update(self, ctx: RequestContext, server_id: str, values: dict[str, Any]
               ) -> dict[str, Any]:
        with self.db.session() as s:
            row = self.row(s, ctx, server_id)
            self.check_unlocked(ctx, row)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            s.flush()
            return self.views(s, [row])[0]

    @staticmethod
    def check_unlocked(ctx: RequestContext, row: Instance) -> None:
        """A locked server takes changes only from an admin (Nova's check_instance_lock)."""
        if row.locked and not is_admin(ctx):
            raise states.InstanceIsLocked(row.id)

    # -- deleting -------------------------------------------------------------------------
    def delete(self, ctx: RequestContext, server_id: str, request_id: str | None,
               force: bool = False) -> None:
        with self.db.session() as s:
            row = self.row(s, ctx, server_id)
            self.check_unlocked(ctx, row)
            if force:
                states.check_state("forceDelete", row.id, row.vm_state, row.task_state,
                                   [states.SOFT_DELETED])
            if row.task_state == "deleting":
                return
            row.task_state = "deleting"
            row.updated_at = utcnow()
            records.start_action(s, row, "delete", ctx, request_id)
        self.compute.builder.start_delete(server_id)

    # -- metadata and tags ------------------------------------------------------------------
    def set_metadata(self, ctx: RequestContext, server_id: str, items: dict[str, str],
                     replace: bool) -> dict[str, str]:
        with self.db.session() as s:
            row = self.row(s, ctx, server_id)
            self.check_unlocked(ctx, row)
            if replace:
                s.execute(delete(InstanceMetadata).where(
                    InstanceMetadata.instance_id == row.id))
                s.flush()
            for key, value in items.items():
                found = s.get(InstanceMetadata, (row.id, key))
                if found is None:
                    s.add(InstanceMetadata(instance_id=row.id, key=key, value=value))
                else:
                    found.value = value
            row.updated_at = utcnow()
            s.flush()
            return self.views(s, [row], addresses=False)[0]["metadata"]  # type: ignore

    def delete_metadata(self, ctx: RequestContext, server_id: str, key: str) -> None:
        with self.db.session() as s:
            row = self.row(s, ctx, server_id)
            self.check_unlocked(ctx, row)
            found = s.get(InstanceMetadata, (row.id, key))
            if found is None:
                from nimbus.kernel.errors import NotFound

                raise NotFound("Metadata item was not found")
            s.delete(found)
            row.updated_at = utcnow()

    def set_tags(self, ctx: RequestContext, server_id: str, tags: list[str] | None,
                 add: str | None = None, remove: str | None = None) -> list[str]:
        """Replace the tags (tags), add one (add) or remove one (remove)."""
        with self.db.session() as s:
            row = self.row(s, ctx, server_id)
            states.check_state("update tags", row.id, row.vm_state, row.task_state,
                               [states.ACTIVE, states.PAUSED, states.SUSPENDED, states.STOPPED,
                                states.SHELVED, states.SHELVED_OFFLOADED, states.ERROR,
                                states.RESCUED, states.RESIZED], [None, states.ANY_TASK])
            have = {t.tag: t for t in s.scalars(select(InstanceTag).where(
                InstanceTag.instance_id == row.id))}
            if tags is not None:
                for tag in have.values():
                    s.delete(tag)
                s.flush()
                have = {}
                for tag in dict.fromkeys(tags):
                    s.add(InstanceTag(instance_id=row.id, tag=tag))
                    have[tag] = None  # type: ignore[assignment]
            if add is not None and add not in have:
                if len(have) >= 50:
                    raise BadRequest("The number of tags exceeded the per-server limit 50")
                s.add(InstanceTag(instance_id=row.id, tag=add))
                have[add] = None  # type: ignore[assignment]
            if remove is not None:
                if remove not in have:
                    from nimbus.kernel.errors import NotFound

                    raise NotFound(f"Tag {remove} could not be found for instance {row.id}.")
                s.delete(have.pop(remove))
            row.updated_at = utcnow()
            return sorted(have)

    def tags(self, ctx: RequestContext, server_id: str) -> list[str]:
        with self.db.session() as s:
            row = self.row(s, ctx, server_id)
            return sorted(s.scalars(select(InstanceTag.tag).where(
                InstanceTag.instance_id == row.id)))

    # -- what the agents report -------------------------------------------------------------
    def agent_update(self, update: m.InstanceUpdate) -> None:
        """A guest's power state as its agent saw it. The service drives every operation
        itself and ignores the agent's vm_state hints; like Nova's power-state sync it
        only records the power state of an instance with no task running, and stops the
        record of an active guest that shut itself down."""
        with self.db.session() as s:
            row = s.get(Instance, update.uuid)
            if row is None or row.deleted or row.task_state is not None or (
                    row.host and row.host != update.host):
                return
            row.power_state = update.power_state
            if row.vm_state == states.ACTIVE and update.power_state in (m.SHUTDOWN,
                                                                        m.CRASHED):
                row.vm_state = states.STOPPED
            row.updated_at = utcnow()


def sanitized(name: str, server_id: str, count: int, index: int) -> str:
    hostname = records.sanitize_hostname(name)
    if not hostname:
        return f"Server-{server_id}"
    return f"{hostname}-{index + 1}" if count > 1 else hostname


def decode_user_data(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise BadRequest("User data needs to be valid base 64.") from None


def forbid(what: str) -> None:
    raise Forbidden(what)
