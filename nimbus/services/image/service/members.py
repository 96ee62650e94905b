"""Image members: the projects a shared image is offered to, and their answers.

The owner (or an admin) sees every member; a member sees only its own membership.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.image.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    MemberNotFound,
    OverLimit,
)
from nimbus.services.image.models import Image, ImageMember
from nimbus.services.image.service.access import visible_row
from nimbus.services.image.service.records import Caller, MemberRecord, member_record

if TYPE_CHECKING:
    from nimbus.services.image.service import ImageService

MEMBER_STATUSES = ("pending", "accepted", "rejected")


class Members:
    def __init__(self, service: ImageService) -> None:
        self.service = service
        self.db = service.db

    def list(self, caller: Caller, image_id: str) -> list[MemberRecord]:
        with self.db.session() as s:
            row = _shared_row(s, caller, image_id)
            query = select(ImageMember).where(ImageMember.image_id == image_id)
            if not _sees_all(caller, row):
                query = query.where(ImageMember.member == caller.project_id)
            return [member_record(m) for m in s.scalars(query.order_by(ImageMember.created_at))]

    def get(self, caller: Caller, image_id: str, member_id: str) -> MemberRecord:
        with self.db.session() as s:
            row = visible_row(s, caller, image_id)
            if row.visibility != "shared":
                raise MemberNotFound(member_id, image_id)
            return member_record(_member_row(s, caller, row, member_id))

    def add(self, caller: Caller, image_id: str, member_id: str) -> MemberRecord:
        with self.db.session() as s:
            row = _shared_row(s, caller, image_id, lock=True)
            if s.get(ImageMember, (image_id, member_id)) is not None:
                raise Conflict(f"Member {member_id} is duplicated for image {image_id}")
            count = s.scalar(select(func.count()).where(ImageMember.image_id == image_id))
            quota = self.service.options.image_member_quota
            if (count or 0) + 1 > quota:
                raise OverLimit(f"Image member limit exceeded for image {image_id}: The "
                                "limit has been exceeded on the number of allowed image "
                                f"members for this image. Attempted: {(count or 0) + 1}, "
                                f"Maximum: {quota}:")
            now = utcnow()
            member = ImageMember(image_id=row.id, member=member_id, status="pending",
                                 created_at=now, updated_at=now)
            s.add(member)
            s.flush()
            return member_record(member)

    def update(self, caller: Caller, image_id: str, member_id: str, status: object
               ) -> MemberRecord:
        with self.db.session() as s:
            row = _shared_row(s, caller, image_id)
            member = _member_row(s, caller, row, member_id)
            if status not in MEMBER_STATUSES:
                raise BadRequest('Incorrect request: Status must be "pending", "accepted" '
                                 'or "rejected".')
            member.status, member.updated_at = str(status), utcnow()
            s.flush()
            return member_record(member)

    def delete(self, caller: Caller, image_id: str, member_id: str) -> None:
        with self.db.session() as s:
            row = _shared_row(s, caller, image_id)
            s.delete(_member_row(s, caller, row, member_id))

    def is_member(self, caller: Caller, image_id: str) -> bool:
        with self.db.session() as s:
            return s.get(ImageMember, (image_id, caller.project_id)) is not None


def _shared_row(s: Session, caller: Caller, image_id: str, *, lock: bool = False) -> Image:
    row = visible_row(s, caller, image_id, lock=lock)
    if row.visibility != "shared":
        raise Forbidden("Only shared images have members.")
    return row


def _sees_all(caller: Caller, row: Image) -> bool:
    return caller.is_admin or (caller.project_id is not None and caller.project_id == row.owner)


def _member_row(s: Session, caller: Caller, row: Image, member_id: str) -> ImageMember:
    member = s.get(ImageMember, (row.id, member_id))
    if member is None or not (_sees_all(caller, row) or member_id == caller.project_id):
        raise MemberNotFound(member_id, row.id)
    return member
