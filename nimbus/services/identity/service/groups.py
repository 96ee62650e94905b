"""Groups and their members. A membership change changes the roles of the member's tokens,
so each one bumps the identity generation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.kernel.errors import BadRequest, NotFound
from nimbus.services.identity.errors import Duplicate, ResourceNotFound
from nimbus.services.identity.models import Assignment, Group, GroupMembership
from nimbus.services.identity.service.common import bump_generation
from nimbus.services.identity.service.users import name_conditions

if TYPE_CHECKING:
    from sqlalchemy import Select

    from nimbus.services.identity.service import IdentityService


class NotAMember(NotFound):
    def __init__(self, user_id: str, group_id: str) -> None:
        super().__init__(f"User '{user_id}' not found in group '{group_id}'")


class Groups:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    # -- lookups ----------------------------------------------------------------------------
    def group(self, s: Session, group_id: str | None) -> Group:
        found = s.get(Group, group_id) if group_id else None
        if found is None:
            raise ResourceNotFound("group", str(group_id))
        return found

    def member_ids(self, s: Session, group_id: str) -> Select[Any]:
        """The ids of a group's members, as a subquery (404 when there is no such group)."""
        self.group(s, group_id)
        return select(GroupMembership.user_id).where(GroupMembership.group_id == group_id)

    def target(self, group_id: str) -> dict[str, Any]:
        """What policy rules read about a group; empty when there is none."""
        with self.db.session() as s:
            found = s.get(Group, group_id)
            return {"id": found.id, "domain_id": found.domain_id} if found else {}

    # -- CRUD -------------------------------------------------------------------------------
    def create_group(self, fields: dict[str, Any]) -> Group:
        self.identity.directory.refuse_writes(fields["domain_id"])
        with self.db.session() as s:
            domain = self.identity.resources.domain(s, fields["domain_id"])
            self._check_unique_name(s, domain.id, fields["name"])
            group = Group(name=fields["name"], domain_id=domain.id,
                          description=fields.get("description", ""),
                          extra=fields.get("extra") or {})
            s.add(group)
            s.flush()
            return group

    def list_groups(self, query: Mapping[str, str]) -> list[Group]:
        """Groups matching Keystone's filters: domain_id, name and name__<comparator>."""
        listed = self.identity.directory.list_groups(query)
        if listed is not None:
            return listed
        with self.db.session() as s:
            q = select(Group).where(*name_conditions(Group.name, query))
            if query.get("domain_id"):
                q = q.where(Group.domain_id == query["domain_id"])
            return list(s.scalars(q.order_by(Group.id)))

    def get_group(self, group_id: str) -> Group:
        self.identity.directory.refresh_group(group_id)
        with self.db.session() as s:
            return self.group(s, group_id)

    def update_group(self, group_id: str, fields: dict[str, Any]) -> Group:
        self.identity.directory.refuse_group_writes(group_id)
        with self.db.session() as s:
            group = self.group(s, group_id)
            if "domain_id" in fields and fields["domain_id"] != group.domain_id:
                raise BadRequest("Cannot change Domain ID")
            if "name" in fields and fields["name"] != group.name:
                self._check_unique_name(s, group.domain_id, fields["name"])
                group.name = fields["name"]
            if "description" in fields:
                group.description = fields["description"]
            if fields.get("extra"):
                group.extra = {**(group.extra or {}), **fields["extra"]}
            return group

    def delete_group(self, group_id: str) -> None:
        self.identity.directory.refuse_group_writes(group_id)
        with self.db.session() as s:
            group = self.group(s, group_id)
            if s.scalars(select(Assignment.role_id).where(Assignment.actor_id == group.id)).first():
                for user_id in s.scalars(self.member_ids(s, group.id)):
                    self.identity.revoke_events.for_user(s, user_id)
            self.identity.assignments.delete_actor_assignments(s, group.id)
            s.execute(delete(GroupMembership).where(GroupMembership.group_id == group.id))
            s.delete(group)
            bump_generation(s)

    def _check_unique_name(self, s: Session, domain_id: str, name: str) -> None:
        if s.scalars(select(Group.id).where(Group.domain_id == domain_id,
                                            Group.name == name)).first():
            raise Duplicate("group", f"Duplicate entry found with name {name} at domain ID "
                                     f"{domain_id}")

    # -- members ----------------------------------------------------------------------------
    def groups_of_user(self, user_id: str, query: Mapping[str, str]) -> list[Group]:
        listed = self.identity.directory.groups_of_user(user_id, query)
        if listed is not None:
            return listed
        with self.db.session() as s:
            self.identity.users.user(s, user_id)
            q = (select(Group).join(GroupMembership, GroupMembership.group_id == Group.id)
                 .where(GroupMembership.user_id == user_id,
                        *name_conditions(Group.name, query)))
            return list(s.scalars(q.order_by(Group.id)))

    def add_member(self, group_id: str, user_id: str) -> None:
        self.identity.directory.refuse_membership_change(group_id, user_id)
        with self.db.session() as s:
            self.group(s, group_id)
            self.identity.users.user(s, user_id)
            if s.get(GroupMembership, (user_id, group_id)) is None:
                s.add(GroupMembership(user_id=user_id, group_id=group_id))
                bump_generation(s)

    def check_member(self, group_id: str, user_id: str) -> None:
        member = self.identity.directory.check_member(group_id, user_id)
        if member is not None:
            if not member:
                raise NotAMember(user_id, group_id)
            return
        with self.db.session() as s:
            self.group(s, group_id)
            self.identity.users.user(s, user_id)
            if s.get(GroupMembership, (user_id, group_id)) is None:
                raise NotAMember(user_id, group_id)

    def remove_member(self, group_id: str, user_id: str) -> None:
        self.identity.directory.refuse_membership_change(group_id, user_id)
        with self.db.session() as s:
            found = s.get(GroupMembership, (user_id, group_id))
            if found is None:
                self.group(s, group_id)
                self.identity.users.user(s, user_id)
                raise NotAMember(user_id, group_id)
            s.delete(found)
            self.identity.revoke_events.for_user(s, user_id)
            bump_generation(s)
