"""RBAC matrix for users, groups and group membership, as Keystone's default policy answers
(keystone/tests/protection/v3/test_{users,groups}.py; the domain ``manager`` takes the place
those tests give an overridden domain ``admin``). A domain admin is not a cloud admin in Nimbus
(nimbus/services/identity/policies.py): it does what the domain manager does, in its domain only.

Personas and the cell runner: tests/api/conftest.py (``rbac``, ``run_cell``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import OK, Op, RbacWorld, Sees, matrix, run_cell, unique


def ids(items: Any) -> set[str]:
    return {item.id for item in items}


def fresh_name(world: RbacWorld) -> dict[str, str]:
    return {"name": unique("rbac-new")}


def raw(method: str, template: str) -> Any:
    """A call by path through the SDK's identity proxy (the actor's token), for the calls
    whose SDK helpers swallow the status."""
    return lambda c, w, x: c.identity.request(w.path(template, x), method)


def letter(domain: str) -> str:
    return domain[-1].upper()


# -- users --------------------------------------------------------------------------------
def fresh_user(domain: str) -> Any:
    return lambda world: {"user": world.new_user(domain).id}


def user_state(world: RbacWorld, ctx: dict[str, str]) -> Any:
    return world.admin_get("/users/{user}", ctx)


def users_named(world: RbacWorld, ctx: dict[str, str]) -> list[tuple[str, str]]:
    return [(u.id, u.domain_id) for u in world.admin.identity.users(name=ctx["name"])]


def create_user(domain: str | None) -> Op:
    def call(conn: Any, world: RbacWorld, ctx: dict[str, str]) -> Any:
        kw = {"domain_id": world.ids[domain]} if domain else {}
        return conn.identity.create_user(name=ctx["name"], **kw)
    where = f"in {letter(domain)}" if domain else "naming no domain"
    return Op(f"create user {where}", call, fresh_name, users_named)


def get_user(key: str) -> Op:
    return Op(f"get {key}", lambda c, w, x: c.identity.get_user(w.ids[key]))


def update_user(domain: str) -> Op:
    return Op(f"update a user in {letter(domain)}",
              lambda c, w, x: c.identity.update_user(x["user"], description="x"),
              fresh_user(domain), user_state)


def delete_user(domain: str) -> Op:
    return Op(f"delete a user in {letter(domain)}",
              lambda c, w, x: c.identity.delete_user(x["user"], ignore_missing=False),
              fresh_user(domain), user_state)


def projects_of(key: str) -> Op:
    return Op(f"list projects of {key}",
              lambda c, w, x: ids(c.identity.user_projects(w.ids[key])))


def groups_of(key: str) -> Op:
    return Op(f"list groups of {key}", lambda c, w, x: ids(c.identity.user_groups(w.ids[key])))


LIST_USERS = Op("list users", lambda c, w, x: ids(c.identity.users()))
GET_NO_USER = Op("get missing user", lambda c, w, x: c.identity.get_user("no-such-user"))
UPDATE_SELF = Op("update own user",
                 lambda c, w, x: c.identity.update_user(w.ids["member"], description="x"),
                 observe=lambda w, x: w.admin_get("/users/{member}"))
UPDATE_NO_USER = Op("update missing user",
                    lambda c, w, x: c.identity.update_user("no-such-user", description="x"))
DELETE_NO_USER = Op("delete missing user",
                    lambda c, w, x: c.identity.delete_user("no-such-user", ignore_missing=False))

USERS_OF_D = Sees(has=("user_d", "d_reader", "member"), lacks=("user_e",))
USERS = [
    ("reader", LIST_USERS, 403),
    ("member", LIST_USERS, 403),
    ("d_reader", LIST_USERS, USERS_OF_D),
    ("d_manager", LIST_USERS, USERS_OF_D),
    ("d_admin", LIST_USERS, USERS_OF_D),  # Keystone filters to the token's domain
    ("admin", LIST_USERS, Sees(has=("user_d", "user_e"))),
    ("reader", get_user("reader"), OK),
    ("member", get_user("member"), OK),
    ("reader", get_user("user_d"), 403),
    ("member", get_user("user_d"), 403),
    ("member", get_user("member_b"), 403),
    ("d_reader", get_user("user_d"), OK),
    ("d_manager", get_user("user_d"), OK),
    ("d_admin", get_user("user_d"), OK),
    ("member", get_user("user_e"), 403),
    ("d_reader", get_user("user_e"), 403),
    ("d_manager", get_user("user_e"), 403),
    ("d_admin", get_user("user_e"), 403),
    ("member", GET_NO_USER, 403),
    ("d_reader", GET_NO_USER, 403),
    ("d_admin", GET_NO_USER, 403),
    ("admin", GET_NO_USER, 404),
    ("reader", create_user("dom_d"), 403),
    ("member", create_user("dom_d"), 403),
    ("d_reader", create_user("dom_d"), 403),
    ("d_manager", create_user("dom_d"), OK),
    ("d_admin", create_user("dom_d"), OK),
    ("member", create_user("dom_e"), 403),
    ("d_manager", create_user("dom_e"), 403),
    ("d_admin", create_user("dom_e"), 403),
    ("member", create_user(None), 403),
    # Keystone judges the body as sent: a manager has to name its domain.
    ("d_manager", create_user(None), 403),
    ("d_admin", create_user(None), 403),
    ("member", UPDATE_SELF, 403),  # only the password is self-service
    ("reader", update_user("dom_d"), 403),
    ("member", update_user("dom_d"), 403),
    ("d_reader", update_user("dom_d"), 403),
    ("d_manager", update_user("dom_d"), OK),
    ("d_admin", update_user("dom_d"), OK),
    ("d_manager", update_user("dom_e"), 403),
    ("d_admin", update_user("dom_e"), 403),
    ("reader", delete_user("dom_d"), 403),
    ("member", delete_user("dom_d"), 403),
    ("d_reader", delete_user("dom_d"), 403),
    ("d_manager", delete_user("dom_d"), OK),
    ("d_admin", delete_user("dom_d"), OK),
    ("d_manager", delete_user("dom_e"), 403),
    ("d_admin", delete_user("dom_e"), 403),
    ("member", UPDATE_NO_USER, 403),
    ("d_manager", UPDATE_NO_USER, 403),
    ("d_admin", UPDATE_NO_USER, 403),
    ("admin", UPDATE_NO_USER, 404),
    ("member", DELETE_NO_USER, 403),
    ("d_manager", DELETE_NO_USER, 403),
    ("d_admin", DELETE_NO_USER, 403),
    ("admin", DELETE_NO_USER, 404),
    ("member", projects_of("member"), Sees(has=("proj_a",), lacks=("proj_b",))),
    ("member", projects_of("member_b"), 403),
    ("d_reader", projects_of("member_b"), Sees(has=("proj_b",))),
    ("d_reader", projects_of("user_e"), 403),
    ("d_admin", projects_of("member_b"), Sees(has=("proj_b",))),
    ("d_admin", projects_of("user_e"), 403),
    ("member", groups_of("member"), OK),
    ("member", groups_of("user_d"), 403),
    # user_d is in group_e too, which a token of domain D is not shown.
    ("d_reader", groups_of("user_d"), Sees(has=("group_d",), lacks=("group_e",))),
    ("d_reader", groups_of("user_e"), 403),
    ("d_admin", groups_of("user_d"), Sees(has=("group_d",), lacks=("group_e",))),
    ("d_admin", groups_of("user_e"), 403),
]


# -- groups -------------------------------------------------------------------------------
def fresh_group(domain: str) -> Any:
    return lambda world: {"group": world.new_group(domain).id}


def group_state(world: RbacWorld, ctx: dict[str, str]) -> Any:
    return world.admin_get("/groups/{group}", ctx)


def groups_named(world: RbacWorld, ctx: dict[str, str]) -> list[tuple[str, str]]:
    return [(g.id, g.domain_id) for g in world.admin.identity.groups(name=ctx["name"])]


def create_group(domain: str | None) -> Op:
    def call(conn: Any, world: RbacWorld, ctx: dict[str, str]) -> Any:
        kw = {"domain_id": world.ids[domain]} if domain else {}
        return conn.identity.create_group(name=ctx["name"], **kw)
    where = f"in {letter(domain)}" if domain else "naming no domain"
    return Op(f"create group {where}", call, fresh_name, groups_named)


def get_group(key: str) -> Op:
    return Op(f"get {key}", lambda c, w, x: c.identity.get_group(w.ids[key]))


def update_group(domain: str) -> Op:
    return Op(f"update a group in {letter(domain)}",
              lambda c, w, x: c.identity.update_group(x["group"], description="x"),
              fresh_group(domain), group_state)


def delete_group(domain: str) -> Op:
    return Op(f"delete a group in {letter(domain)}",
              lambda c, w, x: c.identity.delete_group(x["group"], ignore_missing=False),
              fresh_group(domain), group_state)


LIST_GROUPS = Op("list groups", lambda c, w, x: ids(c.identity.groups()))
GET_NO_GROUP = Op("get missing group", lambda c, w, x: c.identity.get_group("no-such-group"))
UPDATE_NO_GROUP = Op("update missing group",
                     lambda c, w, x: c.identity.update_group("no-such-group", description="x"))
DELETE_NO_GROUP = Op("delete missing group",
                     lambda c, w, x: c.identity.delete_group("no-such-group",
                                                             ignore_missing=False))

GROUPS_OF_D = Sees(has=("group_d",), lacks=("group_e",))
GROUPS = [
    ("reader", LIST_GROUPS, 403),
    ("member", LIST_GROUPS, 403),
    ("d_reader", LIST_GROUPS, GROUPS_OF_D),
    ("d_manager", LIST_GROUPS, GROUPS_OF_D),
    ("d_admin", LIST_GROUPS, GROUPS_OF_D),
    ("admin", LIST_GROUPS, Sees(has=("group_d", "group_e"))),
    ("member", get_group("group_d"), 403),
    ("d_reader", get_group("group_d"), OK),
    ("d_admin", get_group("group_d"), OK),
    ("d_reader", get_group("group_e"), 403),
    ("d_manager", get_group("group_e"), 403),
    ("d_admin", get_group("group_e"), 403),
    ("member", GET_NO_GROUP, 403),
    ("d_reader", GET_NO_GROUP, 403),
    ("admin", GET_NO_GROUP, 404),
    ("reader", create_group("dom_d"), 403),
    ("member", create_group("dom_d"), 403),
    ("d_reader", create_group("dom_d"), 403),
    ("d_manager", create_group("dom_d"), OK),
    ("d_admin", create_group("dom_d"), OK),
    ("d_manager", create_group("dom_e"), 403),
    ("d_admin", create_group("dom_e"), 403),
    ("d_manager", create_group(None), 403),  # it has to name its domain, as for users
    ("d_admin", create_group(None), 403),
    ("member", update_group("dom_d"), 403),
    ("reader", update_group("dom_d"), 403),
    ("d_reader", update_group("dom_d"), 403),
    ("d_manager", update_group("dom_d"), OK),
    ("d_admin", update_group("dom_d"), OK),
    ("d_manager", update_group("dom_e"), 403),
    ("d_admin", update_group("dom_e"), 403),
    ("member", delete_group("dom_d"), 403),
    ("reader", delete_group("dom_d"), 403),
    ("d_reader", delete_group("dom_d"), 403),
    ("d_manager", delete_group("dom_d"), OK),
    ("d_admin", delete_group("dom_d"), OK),
    ("d_manager", delete_group("dom_e"), 403),
    ("d_admin", delete_group("dom_e"), 403),
    ("member", UPDATE_NO_GROUP, 403),
    ("admin", UPDATE_NO_GROUP, 404),
    # DELETE loads the group before the rule (GET and PATCH do not): 404 for anyone.
    ("member", DELETE_NO_GROUP, 404),
    ("d_manager", DELETE_NO_GROUP, 404),
]


# -- membership ---------------------------------------------------------------------------
def pair(user_domain: str, group_domain: str, joined: bool) -> Any:
    def setup(world: RbacWorld) -> dict[str, str]:
        user, group = world.new_user(user_domain), world.new_group(group_domain)
        if joined:
            world.admin.identity.add_user_to_group(user, group)
        return {"user": user.id, "group": group.id}
    return setup


def membership(world: RbacWorld, ctx: dict[str, str]) -> int:
    return int(world.admin.identity.head(world.path("/groups/{group}/users/{user}", ctx))
               .status_code)


def add_member(user_domain: str, group_domain: str) -> Op:
    return Op(f"add a user of {letter(user_domain)} to a group of {letter(group_domain)}",
              raw("PUT", "/groups/{group}/users/{user}"),
              pair(user_domain, group_domain, False), membership)


def remove_member(user_domain: str, group_domain: str) -> Op:
    return Op(f"remove a user of {letter(user_domain)} from a group of "
              f"{letter(group_domain)}", raw("DELETE", "/groups/{group}/users/{user}"),
              pair(user_domain, group_domain, True), membership)


def members_of(key: str) -> Op:
    return Op(f"list users in {key}", lambda c, w, x: ids(c.identity.group_users(w.ids[key])))


def check_member(user: str, group: str) -> Op:
    return Op(f"check {user} in {group}", raw("HEAD", f"/groups/{{{group}}}/users/{{{user}}}"))


REMOVE_FROM_NO_GROUP = Op("remove user_d from a missing group",
                          raw("DELETE", "/groups/no-such-group/users/{user_d}"))

MEMBERSHIP = [
    ("member", members_of("group_d"), 403),
    # user_e is in group_d too, which a token of domain D is not shown.
    ("d_reader", members_of("group_d"), Sees(has=("user_d",), lacks=("user_e",))),
    ("d_reader", members_of("group_e"), 403),
    ("d_admin", members_of("group_d"), Sees(has=("user_d",), lacks=("user_e",))),
    ("d_admin", members_of("group_e"), 403),
    ("member", check_member("user_d", "group_d"), 403),
    ("d_reader", check_member("user_d", "group_d"), OK),
    ("d_manager", check_member("user_d", "group_d"), OK),
    ("d_admin", check_member("user_d", "group_d"), OK),
    ("d_admin", check_member("user_e", "group_e"), 403),
    ("d_admin", check_member("user_e", "group_d"), 403),
    ("d_reader", check_member("user_e", "group_e"), 403),
    ("d_reader", check_member("user_e", "group_d"), 403),  # the user is of another domain
    ("admin", check_member("user_e", "group_d"), OK),
    ("reader", add_member("dom_d", "dom_d"), 403),
    ("member", add_member("dom_d", "dom_d"), 403),
    ("d_reader", add_member("dom_d", "dom_d"), 403),
    ("d_manager", add_member("dom_d", "dom_d"), OK),
    ("d_admin", add_member("dom_d", "dom_d"), OK),
    ("d_manager", add_member("dom_e", "dom_d"), 403),
    ("d_manager", add_member("dom_d", "dom_e"), 403),
    ("d_admin", add_member("dom_e", "dom_d"), 403),
    ("d_admin", add_member("dom_d", "dom_e"), 403),
    ("d_admin", add_member("dom_e", "dom_e"), 403),
    ("member", remove_member("dom_d", "dom_d"), 403),
    ("reader", remove_member("dom_d", "dom_d"), 403),
    ("d_reader", remove_member("dom_d", "dom_d"), 403),
    ("d_manager", remove_member("dom_d", "dom_d"), OK),
    ("d_admin", remove_member("dom_d", "dom_d"), OK),
    ("d_manager", remove_member("dom_e", "dom_d"), 403),
    ("d_manager", remove_member("dom_d", "dom_e"), 403),
    ("d_admin", remove_member("dom_e", "dom_d"), 403),
    ("d_admin", remove_member("dom_e", "dom_e"), 403),
    ("d_manager", REMOVE_FROM_NO_GROUP, 403),
    ("d_admin", REMOVE_FROM_NO_GROUP, 403),
    ("admin", REMOVE_FROM_NO_GROUP, 404),
]


@pytest.fixture(scope="module", autouse=True)
def world_members(rbac: RbacWorld) -> None:
    for user, group in (("user_d", "group_d"), ("user_e", "group_e"), ("user_d", "group_e"),
                        ("user_e", "group_d")):
        rbac.admin.identity.add_user_to_group(rbac.ids[user], rbac.ids[group])


@pytest.mark.parametrize("actor,op,expected", matrix(USERS + GROUPS + MEMBERSHIP))
def test_rbac(rbac: RbacWorld, actor: str, op: Op, expected: Any) -> None:
    run_cell(rbac, actor, op, expected)
