"""Tags of any resource; each change bumps the resource's revision (as Neutron does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database
from nimbus.services.network.models.core import Tag
from nimbus.services.network.service.standard import bump

# resource plural -> (session, id) -> the row whose revision a tag change bumps
RowFinder = Callable[[Session, str], Any]


class Tags:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.rows: dict[str, RowFinder] = {}

    def register(self, plural: str, finder: RowFinder) -> None:
        self.rows[plural] = finder

    def _touch(self, s: Session, plural: str, resource_id: str) -> None:
        finder = self.rows.get(plural)
        row = finder(s, resource_id) if finder else None
        if row is not None:
            bump(row)

    def replace(self, plural: str, resource_id: str, tags: list[str]) -> None:
        with self.db.session() as s, s.begin():
            s.execute(delete(Tag).where(Tag.resource_type == plural,
                                        Tag.resource_id == resource_id))
            for tag in tags:
                s.add(Tag(resource_type=plural, resource_id=resource_id, tag=tag))
            self._touch(s, plural, resource_id)

    def add(self, plural: str, resource_id: str, tag: str) -> None:
        with self.db.session() as s, s.begin():
            if s.get(Tag, (plural, resource_id, tag)) is None:
                s.add(Tag(resource_type=plural, resource_id=resource_id, tag=tag))
                self._touch(s, plural, resource_id)

    def remove(self, plural: str, resource_id: str, tag: str) -> None:
        with self.db.session() as s, s.begin():
            s.execute(delete(Tag).where(Tag.resource_type == plural,
                                        Tag.resource_id == resource_id, Tag.tag == tag))
            self._touch(s, plural, resource_id)
