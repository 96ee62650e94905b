"""RBAC matrix for roles, domain-specific roles and implied roles, as Keystone's default
policy answers (keystone/tests/protection/v3/test_{roles,domain_roles,implied_roles}.py).
Roles are global things: a domain admin's token is refused by scope; a domain manager may
only read the roles it can hand out, and so may a domain admin (not a cloud admin in Nimbus:
nimbus/services/identity/policies.py).

Personas and the cell runner: tests/api/conftest.py (``rbac``, ``run_cell``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from tests.api.conftest import OK, Op, RbacWorld, Sees, matrix, run_cell, unique


def ids(items: Any) -> set[str]:
    return {item.id for item in items}


def raw(method: str, template: str) -> Any:
    return lambda c, w, x: c.identity.request(w.path(template, x), method)


# -- global roles -------------------------------------------------------------------------
def fresh_role(world: RbacWorld) -> dict[str, str]:
    return {"role": world.new_role().id}


def role_state(world: RbacWorld, ctx: dict[str, str]) -> Any:
    return world.admin_get("/roles/{role}", ctx)


def roles_named(world: RbacWorld, ctx: dict[str, str]) -> list[str]:
    found = [r.id for r in world.admin.identity.roles(name=ctx["name"])]
    found += [r.id for r in world.admin.identity.roles(name=ctx["name"], domain_id=ctx["dom"])]
    for role_id in found:
        world.later(partial(world.admin.identity.delete_role, role_id))
    return found


def new_role_name(world: RbacWorld) -> dict[str, str]:
    return {"name": unique("rbac-role"), "dom": world.ids["dom_d"]}


def get_role(key: str) -> Op:
    return Op(f"get {key}", lambda c, w, x: c.identity.get_role(w.ids[key]))


LIST_ROLES = Op("list roles", lambda c, w, x: ids(c.identity.roles()))
GET_NO_ROLE = Op("get missing role", lambda c, w, x: c.identity.get_role("no-such-role"))
CREATE_ROLE = Op("create global role", lambda c, w, x: c.identity.create_role(name=x["name"]),
                 new_role_name, roles_named)
UPDATE_ROLE = Op("update global role",
                 lambda c, w, x: c.identity.update_role(x["role"], description="x"),
                 fresh_role, role_state)
DELETE_ROLE = Op("delete global role",
                 lambda c, w, x: c.identity.delete_role(x["role"], ignore_missing=False),
                 fresh_role, role_state)

ALL_ROLES = Sees(has=("role_admin", "role_manager", "role_member", "role_reader"))
ROLES = [
    ("reader", LIST_ROLES, 403),
    ("member", LIST_ROLES, 403),
    ("d_reader", LIST_ROLES, 403),
    ("d_manager", LIST_ROLES, ALL_ROLES),  # it picks the roles it hands out from the list
    ("d_admin", LIST_ROLES, ALL_ROLES),
    ("admin", LIST_ROLES, ALL_ROLES),
    ("reader", get_role("role_member"), 403),
    ("member", get_role("role_member"), 403),
    ("d_reader", get_role("role_member"), 403),
    ("d_manager", get_role("role_member"), OK),
    ("d_manager", get_role("role_reader"), OK),
    ("d_manager", get_role("role_admin"), 403),  # not one a manager may hand out
    ("d_admin", get_role("role_member"), OK),
    ("d_admin", get_role("role_admin"), 403),
    # Keystone loads the role to pick the rule: a missing one is a 404 for anyone.
    ("member", GET_NO_ROLE, 404),
    ("d_manager", GET_NO_ROLE, 404),
    ("reader", CREATE_ROLE, 403),
    ("member", CREATE_ROLE, 403),
    ("d_manager", CREATE_ROLE, 403),
    ("d_admin", CREATE_ROLE, 403),  # system or project scope only
    ("admin", CREATE_ROLE, OK),
    ("member", UPDATE_ROLE, 403),
    ("reader", UPDATE_ROLE, 403),
    ("d_manager", UPDATE_ROLE, 403),
    ("d_admin", UPDATE_ROLE, 403),
    ("admin", UPDATE_ROLE, OK),
    ("member", DELETE_ROLE, 403),
    ("reader", DELETE_ROLE, 403),
    ("d_manager", DELETE_ROLE, 403),
    ("d_admin", DELETE_ROLE, 403),
    ("admin", DELETE_ROLE, OK),
]


# -- domain-specific roles ----------------------------------------------------------------
def fresh_domain_role(world: RbacWorld) -> dict[str, str]:
    return {"role": world.new_role("dom_d").id}


LIST_DOMAIN_ROLES = Op("list roles of domain D",
                       lambda c, w, x: ids(c.identity.roles(domain_id=w.ids["dom_d"])))
CREATE_DOMAIN_ROLE = Op("create a role of domain D",
                        lambda c, w, x: c.identity.create_role(name=x["name"],
                                                               domain_id=x["dom"]),
                        new_role_name, roles_named)
GET_DOMAIN_ROLE = Op("get a role of domain D", lambda c, w, x: c.identity.get_role(x["role"]),
                     fresh_domain_role)
UPDATE_DOMAIN_ROLE = Op("update a role of domain D",
                        lambda c, w, x: c.identity.update_role(x["role"], description="x"),
                        fresh_domain_role, role_state)
DELETE_DOMAIN_ROLE = Op("delete a role of domain D",
                        lambda c, w, x: c.identity.delete_role(x["role"], ignore_missing=False),
                        fresh_domain_role, role_state)

DOMAIN_ROLES = [
    ("member", LIST_DOMAIN_ROLES, 403),
    ("d_reader", LIST_DOMAIN_ROLES, 403),
    ("d_manager", LIST_DOMAIN_ROLES, 403),
    ("d_admin", LIST_DOMAIN_ROLES, 403),  # even its own domain's: system or project scope
    ("admin", LIST_DOMAIN_ROLES, OK),
    ("member", CREATE_DOMAIN_ROLE, 403),
    ("reader", CREATE_DOMAIN_ROLE, 403),
    ("reader", UPDATE_DOMAIN_ROLE, 403),
    ("reader", DELETE_DOMAIN_ROLE, 403),
    ("d_manager", CREATE_DOMAIN_ROLE, 403),
    ("d_admin", CREATE_DOMAIN_ROLE, 403),
    ("admin", CREATE_DOMAIN_ROLE, OK),
    ("member", GET_DOMAIN_ROLE, 403),
    ("d_manager", GET_DOMAIN_ROLE, 403),
    ("d_admin", GET_DOMAIN_ROLE, 403),
    ("admin", GET_DOMAIN_ROLE, OK),
    ("member", UPDATE_DOMAIN_ROLE, 403),
    ("d_manager", UPDATE_DOMAIN_ROLE, 403),
    ("d_admin", UPDATE_DOMAIN_ROLE, 403),
    ("admin", UPDATE_DOMAIN_ROLE, OK),
    ("member", DELETE_DOMAIN_ROLE, 403),
    ("d_admin", DELETE_DOMAIN_ROLE, 403),
    ("admin", DELETE_DOMAIN_ROLE, OK),
]


# -- implied roles ------------------------------------------------------------------------
def role_pair(implied: bool) -> Any:
    def setup(world: RbacWorld) -> dict[str, str]:
        prior, implied_role = world.new_role(), world.new_role()
        if implied:
            world.admin.identity.put(f"/roles/{prior.id}/implies/{implied_role.id}")
        return {"prior": prior.id, "implied": implied_role.id}
    return setup


def inference_state(world: RbacWorld, ctx: dict[str, str]) -> int:
    return int(world.admin.identity.head(world.path("/roles/{prior}/implies/{implied}", ctx))
               .status_code)


LIST_IMPLIED = Op("list roles admin implies", raw("GET", "/roles/{role_admin}/implies"))
GET_IMPLIED = Op("get admin implies manager",
                 raw("GET", "/roles/{role_admin}/implies/{role_manager}"))
CHECK_IMPLIED = Op("check admin implies manager",
                   raw("HEAD", "/roles/{role_admin}/implies/{role_manager}"))
CREATE_IMPLIED = Op("create an inference rule", raw("PUT", "/roles/{prior}/implies/{implied}"),
                    role_pair(False), inference_state)
DELETE_IMPLIED = Op("delete an inference rule",
                    raw("DELETE", "/roles/{prior}/implies/{implied}"),
                    role_pair(True), inference_state)
LIST_INFERENCES = Op("list inference rules", raw("GET", "/role_inferences"))
LIST_NO_PRIOR = Op("list roles a missing role implies", raw("GET", "/roles/no-such/implies"))

IMPLIED_ROLES = [
    ("member", LIST_IMPLIED, 403),
    ("d_manager", LIST_IMPLIED, 403),
    ("d_admin", LIST_IMPLIED, 403),
    ("admin", LIST_IMPLIED, OK),
    ("member", GET_IMPLIED, 403),
    ("d_admin", GET_IMPLIED, 403),
    ("admin", GET_IMPLIED, OK),
    ("member", CHECK_IMPLIED, 403),
    ("d_admin", CHECK_IMPLIED, 403),
    ("admin", CHECK_IMPLIED, OK),
    ("reader", CREATE_IMPLIED, 403),
    ("member", CREATE_IMPLIED, 403),
    ("d_manager", CREATE_IMPLIED, 403),
    ("d_admin", CREATE_IMPLIED, 403),
    ("admin", CREATE_IMPLIED, OK),
    ("member", DELETE_IMPLIED, 403),
    ("reader", DELETE_IMPLIED, 403),
    ("d_manager", DELETE_IMPLIED, 403),
    ("d_admin", DELETE_IMPLIED, 403),
    ("admin", DELETE_IMPLIED, OK),
    ("member", LIST_INFERENCES, 403),
    ("d_reader", LIST_INFERENCES, 403),
    ("d_admin", LIST_INFERENCES, 403),
    ("admin", LIST_INFERENCES, OK),
    ("member", LIST_NO_PRIOR, 404),  # the prior role is loaded before the rule
]


@pytest.mark.parametrize("actor,op,expected", matrix(ROLES + DOMAIN_ROLES + IMPLIED_ROLES))
def test_rbac(rbac: RbacWorld, actor: str, op: Op, expected: Any) -> None:
    run_cell(rbac, actor, op, expected)
