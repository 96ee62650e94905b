"""Placement's secure-RBAC gabbits fake their callers with no-auth headers (``x-roles``,
``x-project-id``, ``openstack-system-scope``). Here each caller they describe is a real
Keystone user with those roles on a real project (or on the system), and its headers
become that user's token."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import password_session

# persona -> (roles to grant, where: "admin", "service", "project", "alt", "system")
PERSONAS = {
    "admin": ("admin", "admin"), "service": ("service", "service"),
    "system_admin": ("admin", "system"), "system_reader": ("reader", "system"),
    "project_admin": ("admin", "project"), "project_member": ("member", "project"),
    "project_reader": ("reader", "project"), "alt_project_admin": ("admin", "alt"),
    "alt_project_member": ("member", "alt"), "alt_project_reader": ("reader", "alt"),
}


def persona(headers: dict[str, Any]) -> str:
    roles = str(headers.get("x-roles", "")).split(",")
    level = "admin" if "admin" in roles else "member" if "member" in roles else "reader"
    if headers.get("openstack-system-scope"):
        return f"system_{'admin' if level == 'admin' else 'reader'}"
    if roles == ["service"]:
        return "service"
    project = str(headers.get("x-project-id", ""))
    if project == "admin_project_id":
        return "admin"
    return f"{'alt_' if 'ALT' in project else ''}project_{level}"


def swap_headers(headers: dict[str, Any] | None) -> None:
    if not headers or "x-roles" not in headers:
        return
    name = persona(headers)
    for key in ("x-roles", "x-project-id", "openstack-system-scope"):
        headers.pop(key, None)
    headers["x-auth-token"] = f"$ENVIRON['NIMBUS_TOKEN_{name.upper()}']"


def make_callers(cloud: Any, conn: Any) -> dict[str, str]:
    """Projects and users for every persona; the environment the gabbits read (their
    project ids and the personas' tokens)."""
    projects = {where: conn.identity.create_project(name=f"rbac-{where}",
                                                    domain_id="default")
                for where in ("service", "project", "alt")}
    admin_project = conn.identity.find_project("admin")
    env = {"PROJECT_ID": projects["project"].id, "PROJECT_ID_ALT": projects["alt"].id,
           "SERVICE_PROJECT_ID": projects["service"].id, "ADMIN_PROJECT_ID": admin_project.id}
    for name, (role_name, where) in PERSONAS.items():
        password = uuid.uuid4().hex
        user = conn.identity.create_user(name=f"rbac-{name}", domain_id="default",
                                         password=password)
        role = conn.identity.find_role(role_name)
        if where == "system":
            conn.identity.assign_system_role_to_user(user, role, "all")
            sess = password_session(cloud, user.name, password, system_scope="all")
        else:
            project = admin_project if where == "admin" else projects[where]
            conn.identity.assign_project_role_to_user(project, user, role)
            sess = password_session(cloud, user.name, password, project_id=project.id)
        env[f"NIMBUS_TOKEN_{name.upper()}"] = sess.get_token()
    return env
