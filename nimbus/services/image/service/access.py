"""Who sees which image: Glance's visibility rules, and the row lookups that apply them."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, and_, exists, or_, select, true
from sqlalchemy.orm import Session

from nimbus.services.image.errors import ImageNotFound
from nimbus.services.image.models import Image, ImageMember
from nimbus.services.image.service.records import Caller


def is_image_id(image_id: str) -> bool:
    try:
        uuid.UUID(image_id)
    except ValueError:
        return False
    return len(image_id) <= 36


_R = TypeVar("_R", Image, Row[Any])

# The columns of an image, read as a plain row: what reads use (building ORM objects cost
# more than the queries themselves); writes lock and change ORM rows.
IMAGE_COLUMNS = tuple(Image.__table__.columns)


def can_see(s: Session, row: Image | Row[Any], caller: Caller) -> bool:
    """Admins see all; others their project's images, public and community ones, and
    shared ones they are a member of (whatever the membership's status)."""
    if caller.is_admin or row.owner is None or row.visibility in ("public", "community"):
        return True
    if caller.project_id is None:
        return False
    if caller.project_id == row.owner:
        return True
    if row.visibility != "shared":
        return False
    return s.get(ImageMember, (row.id, caller.project_id)) is not None


def visible_row(s: Session, caller: Caller, image_id: str, *, lock: bool = False) -> Image:
    """The image row the caller may see, or ImageNotFound."""
    if not is_image_id(image_id):
        raise ImageNotFound(image_id)
    query = select(Image).where(Image.id == image_id)
    if lock:
        query = query.with_for_update()
    return _seen(s, caller, image_id, s.scalars(query).first())


def readable_row(s: Session, caller: Caller, image_id: str) -> Row[Any]:
    """The image the caller may see, as a plain row (to read, never to change), or
    ImageNotFound."""
    if not is_image_id(image_id):
        raise ImageNotFound(image_id)
    query = select(*IMAGE_COLUMNS).where(Image.id == image_id)
    return _seen(s, caller, image_id, s.connection().execute(query).first())


def _seen(s: Session, caller: Caller, image_id: str, row: _R | None) -> _R:
    """``row`` if it exists, isn't deleted and the caller may see it; else ImageNotFound."""
    if row is None or row.status == "deleted" or not can_see(s, row, caller):
        raise ImageNotFound(image_id)
    return row


def listing_clause(caller: Caller, member_status: str) -> ColumnElement[bool]:
    """What a listing may return to the caller, before any filter."""
    if caller.is_admin:
        return true()
    if caller.project_id is None:
        return Image.visibility.in_(("public", "community"))
    membership = [ImageMember.image_id == Image.id, ImageMember.member == caller.project_id]
    if member_status != "all":
        membership.append(ImageMember.status == member_status)
    return or_(Image.visibility.in_(("public", "community")),
               Image.owner == caller.project_id,
               and_(Image.visibility == "shared", exists().where(*membership)))


def community_clause(caller: Caller, visibility: str | None) -> ColumnElement[bool]:
    """Without a visibility filter, community images show only to their owner."""
    if visibility is not None:
        return true() if visibility == "all" else Image.visibility == visibility
    if caller.project_id is None:
        return Image.visibility != "community"
    return or_(Image.owner == caller.project_id, Image.visibility != "community")
