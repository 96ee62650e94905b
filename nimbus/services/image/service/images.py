"""Image records: create, show, update (JSON patch), delete, tags, deactivation."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    OverLimit,
    TagNotFound,
)
from nimbus.services.image.models import Image, ImageProperty, ImageTag
from nimbus.services.image.schemas.image import NewImage, check_counts
from nimbus.services.image.schemas.patch import Change
from nimbus.services.image.service.access import readable_row, visible_row
from nimbus.services.image.service.patching import Draft, apply_changes
from nimbus.services.image.service.quotas import COUNT_TOTAL
from nimbus.services.image.service.records import Caller, ImageRecord, load_records

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService

log = logging.getLogger(__name__)


class Images:
    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.db = service.db
        self.options = service.options

    # -- reading -----------------------------------------------------------------------
    def get(self, caller: Caller, image_id: str) -> ImageRecord:
        with self.db.session() as s:
            return self.record(s, readable_row(s, caller, image_id))

    @staticmethod
    def record(s: Session, row: Image | Row[Any]) -> ImageRecord:
        return load_records(s, [row])[0]

    # -- creating ----------------------------------------------------------------------
    def create(self, caller: Caller, new: NewImage) -> ImageRecord:
        image_id = new.image_id or str(uuid.uuid4())
        now = utcnow()
        core = new.core
        row = Image(id=image_id, name=core.get("name"),
                    owner=core.get("owner", caller.project_id), status="queued",
                    visibility=core.get("visibility") or "shared",
                    protected=bool(core.get("protected", False)),
                    os_hidden=bool(core.get("os_hidden", False)),
                    min_disk=core.get("min_disk") or 0, min_ram=core.get("min_ram") or 0,
                    disk_format=core.get("disk_format"),
                    container_format=core.get("container_format"),
                    created_at=now, updated_at=now)
        try:
            with self.db.session() as s:
                self.service.quotas.enforce(s, caller.project_id, COUNT_TOTAL, 1)
                if s.get(Image, image_id) is not None:
                    raise _duplicate(image_id)
                s.add(row)
                s.flush()
                s.add_all([ImageProperty(image_id=image_id, name=k, value=v)
                           for k, v in new.extra.items()])
                s.add_all([ImageTag(image_id=image_id, value=t) for t in new.tags])
                s.flush()
                return self.record(s, row)
        except IntegrityError:
            raise _duplicate(image_id) from None

    # -- updating ----------------------------------------------------------------------
    def update(self, caller: Caller, image_id: str, changes: list[Change]) -> ImageRecord:
        with self.db.session() as s:
            row = visible_row(s, caller, image_id, lock=True)
            current = self.record(s, row)
            draft = Draft.of(row, current.properties, current.tags)
            apply_changes(draft, changes, caller.is_admin)
            check_counts(draft.extra, draft.tags, self.options)
            if changes:
                for name, value in draft.core.items():
                    setattr(row, name, value)
                _write_properties(s, image_id, current.properties, draft.extra)
                _write_tags(s, image_id, current.tags, draft.tags)
                row.updated_at = utcnow()
            s.flush()
            return self.record(s, row)

    def add_tag(self, caller: Caller, image_id: str, tag: str) -> None:
        if len(tag) > 255:
            raise BadRequest(f"Could not update image: tag '{tag[:32]}...' is longer than "
                             "255 characters.")
        with self.db.session() as s:
            row = visible_row(s, caller, image_id, lock=True)
            tags = [t.value for t in s.scalars(select(ImageTag).where(
                ImageTag.image_id == image_id))]
            if tag in tags:
                return
            if len(tags) + 1 > self.options.image_tag_quota:
                raise OverLimit(f"Image tag limit exceeded for image {image_id}: The limit "
                                "has been exceeded on the number of allowed image tags. "
                                f"Attempted: {len(tags) + 1}, "
                                f"Maximum: {self.options.image_tag_quota}:")
            s.add(ImageTag(image_id=image_id, value=tag))
            row.updated_at = utcnow()

    def remove_tag(self, caller: Caller, image_id: str, tag: str) -> None:
        with self.db.session() as s:
            row = visible_row(s, caller, image_id, lock=True)
            found = s.get(ImageTag, (image_id, tag))
            if found is None:
                raise TagNotFound(tag)
            s.delete(found)
            row.updated_at = utcnow()

    # -- status actions ----------------------------------------------------------------
    def deactivate(self, caller: Caller, image_id: str) -> None:
        self._flip(caller, image_id, "active", "deactivated", "deactivate")

    def reactivate(self, caller: Caller, image_id: str) -> None:
        self._flip(caller, image_id, "deactivated", "active", "reactivate")

    def _flip(self, caller: Caller, image_id: str, source: str, target: str, verb: str
              ) -> None:
        with self.db.session() as s:
            row = visible_row(s, caller, image_id, lock=True)
            if row.status == target:
                return
            if row.status != source:
                raise Forbidden(f"Not allowed to {verb} image in status '{row.status}'")
            row.status = target
            row.updated_at = utcnow()

    # -- deleting ----------------------------------------------------------------------
    def delete(self, caller: Caller, image_id: str) -> None:
        with self.db.session() as s:
            row = visible_row(s, caller, image_id, lock=True)
            if row.protected:
                raise Forbidden(f"Image {image_id} is protected and cannot be deleted.")
            record = self.record(s, row)
            s.execute(delete(Image).where(Image.id == image_id))
        self.service.data.forget(record)

    def set_status(self, s: Session, image_id: str, source: tuple[str, ...], **values: object
                   ) -> bool:
        """Change an image only if it is still in one of ``source``; tells whether it was."""
        result = s.execute(update(Image).where(Image.id == image_id, Image.status.in_(source))
                           .values(updated_at=utcnow(), **values))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _duplicate(image_id: str) -> Conflict:
    return Conflict(f"Image with identifier {image_id} already exists!")


def _write_properties(s: Session, image_id: str, before: dict[str, str],
                      after: dict[str, str]) -> None:
    for name in before.keys() - after.keys():
        s.execute(delete(ImageProperty).where(ImageProperty.image_id == image_id,
                                              ImageProperty.name == name))
    for name, value in after.items():
        if name not in before:
            s.add(ImageProperty(image_id=image_id, name=name, value=value))
        elif before[name] != value:
            s.execute(update(ImageProperty).where(ImageProperty.image_id == image_id,
                                                  ImageProperty.name == name)
                      .values(value=value))


def _write_tags(s: Session, image_id: str, before: list[str], after: list[str]) -> None:
    for tag in set(before) - set(after):
        s.execute(delete(ImageTag).where(ImageTag.image_id == image_id,
                                         ImageTag.value == tag))
    s.add_all([ImageTag(image_id=image_id, value=t) for t in after if t not in before])
