"""RBAC matrix for grants (project, domain, inherited, system) and the role assignment list,
as Keystone's default policy answers (keystone/tests/protection/v3/test_{grants,assignment,
system_assignments}.py). A domain manager hands out manager, member and reader to the users
and groups of its domain, on its domain and its projects; nothing else, nowhere else. A domain
admin is not a cloud admin in Nimbus (nimbus/services/identity/policies.py): it may do just that
too, since admin on one of its projects would be admin of the whole cloud.

Personas and the cell runner: tests/api/conftest.py (``rbac``, ``run_cell``).
"""

from __future__ import annotations

from typing import Any

import pytest
from openstack import exceptions

from tests.api.conftest import OK, Op, RbacWorld, Sees, matrix, run_cell

SYSTEM = "system:all"  # how the assignment list below names a system scope


def raw(method: str, template: str) -> Any:
    return lambda c, w, x: c.identity.request(w.path(template, x), method)


def role_ids(template: str) -> Any:
    def call(conn: Any, world: RbacWorld, ctx: dict[str, str]) -> set[str]:
        resp = conn.identity.get(world.path(template, ctx))
        exceptions.raise_from_response(resp)
        return {role["id"] for role in resp.json()["roles"]}
    return call


# -- grants -------------------------------------------------------------------------------
def actor_for(kind: str, domain: str, granted: str | None) -> Any:
    """Setup: a fresh user or group of ``domain``, holding the grant at ``granted`` (a path
    template) when it is to be revoked."""
    def setup(world: RbacWorld) -> dict[str, str]:
        made = world.new_user(domain) if kind == "user" else world.new_group(domain)
        ctx = {kind: made.id}
        if granted:
            assert world.admin.identity.put(world.path(granted, ctx)).status_code == 204
        return ctx
    return setup


def grant_state(template: str) -> Any:
    return lambda world, ctx: world.admin.identity.head(world.path(template, ctx)).status_code


def grant(target: str, kind: str, domain: str, role: str = "member", *,
          inherited: bool = False, revoke: bool = False) -> Op:
    """PUT (or, with ``revoke``, DELETE) ``role`` for a fresh user or group of ``domain`` on
    ``target``: a world key (proj_b, dom_e...) or "system"."""
    if target == "system":
        path = f"/system/{kind}s/{{{kind}}}/roles/{{role_{role}}}"
    else:
        base = "projects" if target.startswith("proj") else "domains"
        path = f"/{base}/{{{target}}}/{kind}s/{{{kind}}}/roles/{{role_{role}}}"
        if inherited:
            path = f"/OS-INHERIT{path}/inherited_to_projects"
    verb = "revoke" if revoke else "grant"
    how = " inherited" if inherited else ""
    name = f"{verb} {role}{how} on {target} to a {kind} of {domain[-1].upper()}"
    return Op(name, raw("DELETE" if revoke else "PUT", path),
              actor_for(kind, domain, path if revoke else None), grant_state(path))


OWN_GRANT = "/projects/{proj_a}/users/{member}/roles/{role_member}"
CHECK_OWN_GRANT = Op("check member's grant on A", raw("HEAD", OWN_GRANT))
LIST_OWN_GRANTS = Op("list member's grants on A",
                     role_ids("/projects/{proj_a}/users/{member}/roles"))
CHECK_E_GRANT = Op("check user_e's grant on E",
                   raw("HEAD", "/projects/{proj_e}/users/{user_e}/roles/{role_member}"))
LIST_E_GRANTS = Op("list user_e's grants on E",
                   raw("GET", "/projects/{proj_e}/users/{user_e}/roles"))
LIST_SYSTEM_GRANTS = Op("list member's system grants",
                        raw("GET", "/system/users/{member}/roles"))
GRANT_NO_ROLE = Op("grant a missing role on B",
                   raw("PUT", "/projects/{proj_b}/users/{user_d}/roles/no-such"))
GRANT_TO_NO_USER = Op("grant member on B to a missing user",
                      raw("PUT", "/projects/{proj_b}/users/no-such/roles/{role_member}"))
REVOKE_OF_NO_USER = Op("revoke member on B of a missing user",
                       raw("DELETE", "/projects/{proj_b}/users/no-such/roles/{role_member}"))

GRANTS = [
    ("reader", grant("proj_b", "user", "dom_d"), 403),
    ("member", grant("proj_b", "user", "dom_d"), 403),
    ("member", grant("proj_a", "user", "dom_d"), 403),  # not even on its own project
    ("d_reader", grant("proj_b", "user", "dom_d"), 403),
    ("d_manager", grant("proj_b", "user", "dom_d"), OK),
    ("d_admin", grant("proj_b", "user", "dom_d"), OK),
    ("admin", grant("proj_b", "user", "dom_d"), OK),
    ("d_manager", grant("proj_b", "user", "dom_d", "reader"), OK),
    ("d_manager", grant("proj_b", "user", "dom_d", "manager"), OK),
    ("d_manager", grant("proj_b", "user", "dom_d", "admin"), 403),  # no escalation
    ("d_admin", grant("proj_b", "user", "dom_d", "reader"), OK),
    ("d_admin", grant("proj_b", "user", "dom_d", "manager"), OK),
    # Keystone lets a domain admin hand out admin in its domain; admin on a project is a cloud
    # admin, so Nimbus does not.
    ("d_admin", grant("proj_b", "user", "dom_d", "admin"), 403),
    ("d_manager", grant("proj_e", "user", "dom_e"), 403),
    ("d_manager", grant("proj_b", "user", "dom_e"), 403),  # a user of another domain
    ("d_manager", grant("proj_e", "user", "dom_d"), 403),
    # Keystone's rule:admin_required passes an admin at any scope; Nimbus's wants a project
    # or system token, so a domain admin stays in its domain.
    ("d_admin", grant("proj_e", "user", "dom_e"), 403),
    ("d_admin", grant("proj_b", "user", "dom_e"), 403),
    ("d_admin", grant("proj_e", "user", "dom_d"), 403),
    ("member", grant("dom_d", "user", "dom_d"), 403),
    ("reader", grant("dom_d", "user", "dom_d"), 403),
    ("d_reader", grant("dom_d", "user", "dom_d"), 403),
    ("d_manager", grant("dom_d", "user", "dom_d"), OK),
    ("d_manager", grant("dom_d", "user", "dom_d", "admin"), 403),
    ("d_admin", grant("dom_d", "user", "dom_d"), OK),
    ("d_admin", grant("dom_d", "user", "dom_d", "admin"), 403),
    ("d_manager", grant("dom_e", "user", "dom_e"), 403),
    ("d_admin", grant("dom_e", "user", "dom_e"), 403),
    ("member", grant("proj_b", "group", "dom_d"), 403),
    ("d_manager", grant("proj_b", "group", "dom_d"), OK),
    ("d_admin", grant("proj_b", "group", "dom_d"), OK),
    ("d_manager", grant("proj_e", "group", "dom_e"), 403),
    ("d_admin", grant("proj_e", "group", "dom_e"), 403),
    ("d_admin", grant("proj_b", "group", "dom_d", "admin"), 403),
    ("d_manager", grant("dom_d", "group", "dom_d"), OK),
    ("d_admin", grant("dom_e", "group", "dom_e"), 403),
    ("member", grant("dom_d", "user", "dom_d", inherited=True), 403),
    ("d_manager", grant("dom_d", "user", "dom_d", inherited=True), OK),
    ("d_admin", grant("dom_d", "user", "dom_d", inherited=True), OK),
    ("d_admin", grant("dom_d", "user", "dom_d", "admin", inherited=True), 403),
    ("d_manager", grant("dom_e", "user", "dom_e", inherited=True), 403),
    ("d_admin", grant("dom_e", "user", "dom_e", inherited=True), 403),
    ("d_manager", grant("dom_d", "group", "dom_d", inherited=True), OK),
    ("d_manager", grant("proj_b", "user", "dom_d", inherited=True), OK),
    ("d_manager", grant("proj_e", "user", "dom_e", inherited=True), 403),
    ("member", grant("system", "user", "dom_d", "reader"), 403),
    ("reader", grant("system", "user", "dom_d", "reader"), 403),
    ("d_manager", grant("system", "user", "dom_d", "reader"), 403),
    ("d_admin", grant("system", "user", "dom_d", "reader"), 403),  # system or project scope
    ("admin", grant("system", "user", "dom_d", "reader"), OK),
    ("d_admin", grant("system", "group", "dom_d", "reader"), 403),
    ("member", grant("proj_b", "user", "dom_d", revoke=True), 403),
    ("reader", grant("proj_b", "user", "dom_d", revoke=True), 403),
    ("d_reader", grant("proj_b", "user", "dom_d", revoke=True), 403),
    ("d_manager", grant("proj_b", "user", "dom_d", revoke=True), OK),
    ("d_admin", grant("proj_b", "user", "dom_d", revoke=True), OK),
    ("d_manager", grant("proj_b", "user", "dom_d", "admin", revoke=True), 403),
    ("d_admin", grant("proj_b", "user", "dom_d", "admin", revoke=True), 403),
    ("d_manager", grant("proj_e", "user", "dom_e", revoke=True), 403),
    ("d_admin", grant("proj_e", "user", "dom_e", revoke=True), 403),
    ("d_manager", grant("dom_d", "group", "dom_d", revoke=True), OK),
    ("d_admin", grant("dom_d", "group", "dom_d", revoke=True), OK),
    ("d_manager", grant("dom_e", "group", "dom_e", revoke=True), 403),
    ("d_admin", grant("dom_e", "group", "dom_e", revoke=True), 403),
    ("d_manager", grant("dom_d", "user", "dom_d", inherited=True, revoke=True), OK),
    ("member", grant("dom_d", "user", "dom_d", inherited=True, revoke=True), 403),
    ("d_admin", grant("system", "user", "dom_d", "reader", revoke=True), 403),
    ("admin", grant("system", "user", "dom_d", "reader", revoke=True), OK),
    # Project-scoped users may not even check or list their own grants.
    ("reader", CHECK_OWN_GRANT, 403),
    ("member", CHECK_OWN_GRANT, 403),
    ("d_reader", CHECK_OWN_GRANT, OK),
    ("d_manager", CHECK_OWN_GRANT, OK),
    ("d_admin", CHECK_OWN_GRANT, OK),
    ("member", LIST_OWN_GRANTS, 403),
    ("d_reader", LIST_OWN_GRANTS, Sees(has=("role_member",))),
    ("d_admin", LIST_OWN_GRANTS, Sees(has=("role_member",))),
    ("d_reader", CHECK_E_GRANT, 403),
    ("d_manager", CHECK_E_GRANT, 403),
    ("d_admin", CHECK_E_GRANT, 403),
    ("d_reader", LIST_E_GRANTS, 403),
    ("d_admin", LIST_E_GRANTS, 403),
    ("member", LIST_SYSTEM_GRANTS, 403),
    ("d_reader", LIST_SYSTEM_GRANTS, 403),
    ("d_admin", LIST_SYSTEM_GRANTS, 403),
    ("admin", LIST_SYSTEM_GRANTS, OK),
    # The role and the user are loaded before the rule: missing ones are 404s for anyone...
    ("member", GRANT_NO_ROLE, 404),
    ("member", GRANT_TO_NO_USER, 404),
    # ...except the user of a revoke, so that grants of deleted users can be cleaned up.
    ("member", REVOKE_OF_NO_USER, 403),
    ("d_manager", REVOKE_OF_NO_USER, 403),
    ("d_admin", REVOKE_OF_NO_USER, 403),
    ("admin", REVOKE_OF_NO_USER, 404),
]


# -- the role assignment list -------------------------------------------------------------
def assignments(**query: str) -> Any:
    """The scopes and actors of the role assignments the actor is shown."""
    def call(conn: Any, world: RbacWorld, ctx: dict[str, str]) -> set[str]:
        resolved = {k: world.ids.get(v, v) for k, v in query.items()}
        seen: set[str] = set()
        for a in conn.identity.role_assignments(**resolved):
            scope = a.scope or {}
            if "system" in scope:
                seen.add(SYSTEM)
            for kind in ("project", "domain"):
                if kind in scope:
                    seen.add(scope[kind]["id"])
            for actor in (a.user, a.group):
                if actor:
                    seen.add(actor["id"])
        return seen
    label = ", ".join(f"{k}={v}" for k, v in query.items()) or "all"
    return Op(f"list role assignments ({label})", call)


DOMAIN_D_ONLY = Sees(has=("proj_a", "proj_b", "dom_d", "member", "d_reader"),
                     lacks=("proj_e", "dom_e", "user_e", "system"))
SUBTREE = {"include_subtree": "True"}
ASSIGNMENTS = [
    ("reader", assignments(), 403),
    ("member", assignments(), 403),
    ("member", assignments(user_id="member"), 403),  # not even its own
    ("member", assignments(scope_project_id="proj_a"), 403),
    ("d_reader", assignments(), DOMAIN_D_ONLY),
    ("d_manager", assignments(), DOMAIN_D_ONLY),
    ("d_admin", assignments(), DOMAIN_D_ONLY),  # Keystone filters to the token's domain
    ("admin", assignments(), Sees(has=("proj_a", "proj_e", "dom_d", "dom_e", "system"))),
    ("d_reader", assignments(scope_project_id="proj_b"), Sees(has=("member_b",))),
    ("d_reader", assignments(scope_project_id="proj_e"), Sees(lacks=("proj_e", "user_e"))),
    ("d_reader", assignments(scope_domain_id="dom_e"), Sees(lacks=("dom_e", "user_e"))),
    ("d_reader", assignments(user_id="user_e"), Sees(lacks=("proj_e", "dom_e", "user_e"))),
    ("d_admin", assignments(scope_project_id="proj_e"), Sees(lacks=("proj_e", "user_e"))),
    ("d_admin", assignments(scope_domain_id="dom_e"), Sees(lacks=("dom_e", "user_e"))),
    ("d_admin", assignments(user_id="user_e"), Sees(lacks=("proj_e", "dom_e", "user_e"))),
    ("d_reader", assignments(scope_system="all"), Sees(lacks=("system",))),
    ("d_admin", assignments(scope_system="all"), Sees(lacks=("system",))),
    ("member", assignments(scope_project_id="proj_a", **SUBTREE), 403),
    ("d_reader", assignments(scope_project_id="proj_b", **SUBTREE), Sees(has=("member_b",))),
    ("d_reader", assignments(scope_project_id="proj_e", **SUBTREE), 403),
    ("d_manager", assignments(scope_project_id="proj_e", **SUBTREE), 403),
    ("d_admin", assignments(scope_project_id="proj_b", **SUBTREE), Sees(has=("member_b",))),
    ("d_admin", assignments(scope_project_id="proj_e", **SUBTREE), 403),
]


@pytest.fixture(scope="module", autouse=True)
def world_grants(rbac: RbacWorld) -> None:
    """Assignments in domain E and on the system, which domain D's people must not see."""
    rbac.ids["system"] = SYSTEM
    for path in ("/projects/{proj_e}/users/{user_e}/roles/{role_member}",
                 "/domains/{dom_e}/users/{user_e}/roles/{role_reader}",
                 "/system/users/{user_e}/roles/{role_reader}"):
        assert rbac.admin.identity.put(rbac.path(path)).status_code == 204


@pytest.mark.parametrize("actor,op,expected", matrix(GRANTS + ASSIGNMENTS))
def test_rbac(rbac: RbacWorld, actor: str, op: Op, expected: Any) -> None:
    run_cell(rbac, actor, op, expected)
