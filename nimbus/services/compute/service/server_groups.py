"""Server groups and their members. The servers engineer and the scheduler reach them with
``get``, ``group_of``, ``add_member`` and ``remove_member``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database
from nimbus.services.compute.errors import LimitExceeded, ServerGroupNotFound
from nimbus.services.compute.models.server_groups import ServerGroup, ServerGroupMember

POLICIES = ("affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity")


def _members(s: Session, group_id: str) -> list[str]:
    return list(s.scalars(select(ServerGroupMember.server_id).where(
        ServerGroupMember.group_id == group_id).order_by(ServerGroupMember.position)).all())


def _as_dict(s: Session, row: ServerGroup) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "project_id": row.project_id,
            "user_id": row.user_id, "policy": row.policy, "rules": dict(row.rules or {}),
            "members": _members(s, row.id), "created_at": row.created_at}


class ServerGroups:
    def __init__(self, db: Database, limit_of: Callable[[str, str, str], int]) -> None:
        self.db = db
        # (project id, user id, resource) -> the quota limit (-1: unlimited).
        self.limit_of = limit_of

    # -- public functions (servers, scheduler) --------------------------------------------
    def get(self, group_id: str) -> dict[str, Any]:
        """id, name, project_id, user_id, policy, rules, members (server ids, in the order
        they joined); ServerGroupNotFound (404) for an unknown id."""
        with self.db.session() as s:
            row = s.get(ServerGroup, group_id)
            if row is None:
                raise ServerGroupNotFound(group_id)
            return _as_dict(s, row)

    def group_of(self, server_id: str) -> dict[str, Any] | None:
        """The group ``server_id`` belongs to, or None."""
        with self.db.session() as s:
            group_id = s.scalar(select(ServerGroupMember.group_id).where(
                ServerGroupMember.server_id == server_id))
        return self.get(group_id) if group_id else None

    def add_member(self, group_id: str, server_id: str) -> None:
        """Puts ``server_id`` in the group (a no-op when it is there already); 403 when the
        group is at its server_group_members quota."""
        with self.db.session() as s:
            row = s.get(ServerGroup, group_id)
            if row is None:
                raise ServerGroupNotFound(group_id)
            members = _members(s, group_id)
            if server_id in members:
                return
            limit = self.limit_of(row.project_id, row.user_id, "server_group_members")
            if 0 <= limit < len(members) + 1:
                raise LimitExceeded("Quota exceeded, too many servers in group")
            s.add(ServerGroupMember(server_id=server_id, group_id=group_id,
                                    position=len(members)))

    def remove_member(self, server_id: str) -> None:
        """Takes ``server_id`` out of whatever group holds it (a no-op when none does)."""
        with self.db.session() as s:
            s.execute(delete(ServerGroupMember).where(
                ServerGroupMember.server_id == server_id))

    def count(self, project_id: str) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(ServerGroup).where(
                ServerGroup.project_id == project_id)) or 0)

    # -- API ------------------------------------------------------------------------------
    def list(self, project_id: str | None, *, offset: int = 0,
             limit: int | None = None) -> list[dict[str, Any]]:
        """The groups of ``project_id`` (None: of every project), oldest first."""
        with self.db.session() as s:
            query = select(ServerGroup).order_by(ServerGroup.created_at, ServerGroup.id)
            if project_id is not None:
                query = query.where(ServerGroup.project_id == project_id)
            query = query.offset(offset)
            if limit is not None:
                query = query.limit(limit)
            return [_as_dict(s, r) for r in s.scalars(query).all()]

    def create(self, project_id: str, user_id: str, name: str, policy: str,
               rules: dict[str, Any]) -> dict[str, Any]:
        limit = self.limit_of(project_id, user_id, "server_groups")
        if 0 <= limit < self.count(project_id) + 1:
            raise LimitExceeded("Quota exceeded, too many server groups.")
        with self.db.session() as s:
            row = ServerGroup(id=str(uuid.uuid4()), name=name, project_id=project_id,
                              user_id=user_id, policy=policy, rules=rules)
            s.add(row)
            s.flush()
            return _as_dict(s, row)

    def delete(self, group_id: str) -> None:
        with self.db.session() as s:
            row = s.get(ServerGroup, group_id)
            if row is None:
                raise ServerGroupNotFound(group_id)
            s.execute(delete(ServerGroupMember).where(ServerGroupMember.group_id == group_id))
            s.delete(row)
