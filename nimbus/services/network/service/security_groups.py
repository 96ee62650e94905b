"""Security groups: each project's ``default`` group (made on first need, with Neutron's
four default rules), and the checks a port's groups pass."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import ResourceNotFound
from nimbus.services.network.models.security_groups import (
    DefaultSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
)
from nimbus.services.network.service.base import ResourceStore, caller_is_admin

DEFAULT_DESCRIPTION = "Default security group"


def default_rules(group_id: str, project_id: str) -> list[SecurityGroupRule]:
    """Egress anywhere, ingress from members of the group itself; IPv4 and IPv6."""
    rules = []
    for ethertype in ("IPv4", "IPv6"):
        rules.append(SecurityGroupRule(id=str(uuid.uuid4()), project_id=project_id,
                                       security_group_id=group_id, direction="egress",
                                       ethertype=ethertype))
        rules.append(SecurityGroupRule(id=str(uuid.uuid4()), project_id=project_id,
                                       security_group_id=group_id, direction="ingress",
                                       ethertype=ethertype, remote_group_id=group_id))
    return rules


class SecurityGroups(ResourceStore):
    resource_type = "security-groups"

    def default_for(self, s: Session, project_id: str) -> str:
        """The project's default group, made now if it has none (in a savepoint, so a
        concurrent first request that made it wins and this one reads it)."""
        found = s.get(DefaultSecurityGroup, project_id)
        if found is not None:
            return found.security_group_id
        group_id = str(uuid.uuid4())
        try:
            with s.begin_nested():
                s.add(SecurityGroup(id=group_id, project_id=project_id, name="default",
                                    description=DEFAULT_DESCRIPTION))
                s.flush()
                s.add_all(default_rules(group_id, project_id))
                s.add(DefaultSecurityGroup(project_id=project_id, security_group_id=group_id))
                s.flush()
        except IntegrityError:
            return s.get(DefaultSecurityGroup, project_id).security_group_id  # type: ignore
        return group_id

    def check_usable(self, s: Session, ctx: RequestContext | None, project_id: str,
                     group_ids: list[str]) -> None:
        """Every group exists and belongs to the port's project (or the caller is admin)."""
        if not group_ids:
            return
        rows: dict[str, Any] = dict(s.execute(
            select(SecurityGroup.id, SecurityGroup.project_id)
            .where(SecurityGroup.id.in_(group_ids))).all())
        admin = ctx is None or caller_is_admin(ctx)
        for group_id in group_ids:
            owner = rows.get(group_id)
            if owner is None or (not admin and owner != project_id):
                raise ResourceNotFound("SecurityGroup", group_id, label="Security group")
