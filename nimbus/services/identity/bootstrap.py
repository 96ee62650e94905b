"""Keystone's bootstrap: the Default domain, the admin project and user, the standard roles,
the region and the catalog. Idempotent: later runs only correct the catalog."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.services.identity.models import (
    ROOT_DOMAIN,
    Assignment,
    ImpliedRole,
    Project,
    Region,
    Role,
    User,
)
from nimbus.services.identity.service import IdentityService
from nimbus.services.identity.service.common import bump_generation
from nimbus.services.identity.service.resources import DEFAULT_DOMAIN_ID

# prior => implied, as `keystone-manage bootstrap` makes them.
ROLE_CHAIN = (("admin", "manager"), ("manager", "member"), ("member", "reader"))
ROLES = ("admin", "manager", "member", "reader", "service")


@dataclass(frozen=True)
class CatalogEntry:
    type: str
    name: str
    path: str  # under the public URL, e.g. "/identity"
    description: str = ""


def bootstrap(identity: IdentityService, admin_password: str | None,
              entries: list[CatalogEntry]) -> bool:
    """Returns True when it created the admin user (first run)."""
    settings = identity.settings
    with identity.db.session() as s:
        domain = s.get(Project, DEFAULT_DOMAIN_ID)
        if domain is None:
            s.add(Project(id=DEFAULT_DOMAIN_ID, name="Default", domain_id=ROOT_DOMAIN,
                          is_domain=True, enabled=True,
                          description="The default domain", extra={}, options={}))
            s.flush()
        project = _ensure_project(s, "admin", "Bootstrap project for initializing the cloud.")
        roles = {name: _ensure_role(s, name) for name in ROLES}
        for prior, implied in ROLE_CHAIN:
            if s.get(ImpliedRole, (roles[prior].id, roles[implied].id)) is None:
                s.add(ImpliedRole(prior_role_id=roles[prior].id,
                                  implied_role_id=roles[implied].id))
        created = False
        user = s.scalars(select(User).where(User.domain_id == DEFAULT_DOMAIN_ID,
                                            User.name == "admin")).first()
        if user is None:
            if admin_password is None:
                raise ValueError("the first bootstrap needs an admin password")
            user = User(name="admin", domain_id=DEFAULT_DOMAIN_ID, enabled=True, extra={},
                        options={}, default_project_id=project.id)
            s.add(user)
            s.flush()
            identity.users.new_password_row(s, user, admin_password, self_service=True)
            created = True
        for kind, target in (("UserProject", project.id), ("UserSystem", "system")):
            key = (kind, user.id, target, roles["admin"].id, False)
            if s.get(Assignment, key) is None:
                s.add(Assignment(type=kind, actor_id=user.id, target_id=target,
                                 role_id=roles["admin"].id, inherited=False))
        if s.get(Region, settings.region) is None:
            s.add(Region(id=settings.region, description="", extra={}))
            s.flush()
        for entry in entries:
            identity.catalog.ensure_service(s, entry.type, entry.name, settings.region,
                                            settings.effective_public_url + entry.path,
                                            entry.description)
        bump_generation(s)
        return created


def _ensure_project(s: Session, name: str, description: str) -> Project:
    found = s.scalars(select(Project).where(Project.domain_id == DEFAULT_DOMAIN_ID,
                                            Project.name == name)).first()
    if found is None:
        found = Project(name=name, domain_id=DEFAULT_DOMAIN_ID, parent_id=DEFAULT_DOMAIN_ID,
                        is_domain=False, enabled=True, description=description,
                        extra={}, options={})
        s.add(found)
        s.flush()
    return found


def _ensure_role(s: Session, name: str) -> Role:
    found = s.scalars(select(Role).where(Role.name == name, Role.domain_id == "")).first()
    if found is None:
        found = Role(name=name, domain_id="", extra={}, options={})
        s.add(found)
        s.flush()
    return found
