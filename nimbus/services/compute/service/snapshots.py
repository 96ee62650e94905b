"""createImage and createBackup: an image record made through the image service's public
functions, the agent's snapshot of the root disk written to a file, and that file uploaded
as the image's data; backups beyond the rotation are deleted, oldest first."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nimbus.agents.compute import messages as m
from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.services.compute.models.servers import Instance
from nimbus.services.compute.service import records, states

log = logging.getLogger("nimbus.compute.snapshots")

SNAPSHOT_STATES = (states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED)
CHUNK = 1 << 20


def _caller(ctx: RequestContext) -> Any:
    from nimbus.services.image.service.records import Caller

    return Caller(ctx.project_id, ctx.user_id, ctx.has_role("admin"))


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


class Snapshots:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db

    @property
    def images(self) -> Any:
        from nimbus.services.image.service import image_of

        return image_of(self.compute.runtime)

    def create(self, ctx: RequestContext, server_id: str, name: str,
               metadata: dict[str, str], request_id: str | None,
               backup: tuple[str, int] | None = None, then: Any = None) -> str:
        """The new image's id; the snapshot and upload go on in the background. ``then``
        (ctx, server_id, host, image_id), when given, takes over once the image is up
        (shelve)."""
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            self.compute.servers.check_unlocked(ctx, row)
            kind = "shelve" if then else "createBackup" if backup else "createImage"
            states.check_state(kind, row.id, row.vm_state, row.task_state, SNAPSHOT_STATES)
            image_id = self._record(ctx, row, name, metadata, backup)
            row.task_state = "shelving" if then else "image_snapshot"
            row.updated_at = utcnow()
            records.start_action(s, row, kind, ctx, request_id)
            host = str(row.host)
        self.compute.builder.submit(self._snapshot, ctx, server_id, host, image_id, backup,
                                    then)
        return image_id

    def _record(self, ctx: RequestContext, row: Instance, name: str,
                metadata: dict[str, str], backup: tuple[str, int] | None) -> str:
        from nimbus.services.image.schemas.image import NewImage

        extra = {**metadata, "instance_uuid": row.id, "base_image_ref": row.image_ref,
                 "image_type": "backup" if backup else "snapshot",
                 "user_id": ctx.user_id or "", "owner_project_name": ctx.project_name or ""}
        if backup:
            extra["backup_type"] = backup[0]
        core = {"name": name, "disk_format": "qcow2", "container_format": "bare",
                "visibility": "private", "min_disk": int(row.flavor.get("disk") or 0)}
        record = self.images.images.create(_caller(ctx), NewImage(core=core, extra=extra))
        return str(record.id)

    def _snapshot(self, ctx: RequestContext, server_id: str, host: str, image_id: str,
                  backup: tuple[str, int] | None, then: Any = None) -> None:
        folder = self.compute.runtime.settings.data_dir / "compute-snapshots"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{image_id}.qcow2"
        error: Exception | None = None
        try:
            result = self.compute.agent_api.snapshot(host, server_id, m.SnapshotTarget(
                path=str(path), image_id=image_id, disk_format="qcow2"))
            self._match_format(ctx, image_id, path)
            self.images.data.upload(_caller(ctx), image_id, _chunks(path), result.size)
            if backup:
                self._rotate(ctx, server_id, backup)
        except Exception as err:  # noqa: BLE001 - the image goes; the server carries on
            log.warning("instance %s: snapshot %s failed: %s", server_id, image_id, err)
            error = err
            self.drop_image(ctx, image_id)
        finally:
            path.unlink(missing_ok=True)
        if then is not None and error is None:
            then(ctx, server_id, host, image_id)
            return
        self._finish(server_id, error)

    def _match_format(self, ctx: RequestContext, image_id: str, path: Path) -> None:
        """A snapshot that is not a qcow2 (a test driver's bytes) is recorded as raw:
        the image service checks the data against the record's disk_format."""
        with path.open("rb") as f:
            if f.read(4) == b"QFI\xfb":
                return
        from nimbus.services.image.schemas.patch import Change

        self.images.images.update(_caller(ctx), image_id,
                                  [Change("replace", "disk_format", "raw")])

    def _finish(self, server_id: str, error: Exception | None) -> None:
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            if row is None or row.deleted or row.task_state not in ("image_snapshot",
                                                                     "shelving"):
                return
            row.task_state = None
            row.updated_at = utcnow()
            records.finish_event(s, server_id, "compute_snapshot_instance", error)

    def drop_image(self, ctx: RequestContext, image_id: str) -> None:
        try:
            self.images.images.delete(_caller(ctx), image_id)
        except Exception as err:  # noqa: BLE001 - nothing more to do
            log.info("image %s not removed: %s", image_id, err)

    def _rotate(self, ctx: RequestContext, server_id: str, backup: tuple[str, int]) -> None:
        """Keep the newest ``rotation`` backups of this type of this server."""
        from nimbus.services.image.service.listing import ListQuery

        backup_type, rotation = backup
        found, _next = self.images.list_images(_caller(ctx), ListQuery(
            filters={"instance_uuid": server_id, "image_type": "backup",
                     "backup_type": backup_type}, limit=1000))
        for record in found[rotation:]:
            self.drop_image(ctx, record.id)
