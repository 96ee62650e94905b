"""RBAC matrix for domains, projects and project tags: who may do what, with real users
holding real role assignments, as Keystone's default policy answers (its protection tests,
keystone/tests/protection/v3/test_{domains,projects,project_tags}.py, with the domain
``manager`` in the place those tests give an overridden domain ``admin``). A domain admin is not
a cloud admin in Nimbus (nimbus/services/identity/policies.py): it does what the domain manager
does, in its domain only.

Personas and the cell runner: tests/api/conftest.py (``rbac``, ``run_cell``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from openstack.identity.v3.project import Project

from tests.api.conftest import OK, Op, RbacWorld, Sees, matrix, run_cell, unique


def ids(items: Any) -> set[str]:
    return {item.id for item in items}


def fresh_name(world: RbacWorld) -> dict[str, str]:
    return {"name": unique("rbac-new")}


# -- domains ------------------------------------------------------------------------------
def fresh_domain(world: RbacWorld) -> dict[str, str]:
    domain = world.admin.identity.create_domain(name=unique("rbac-dom"), is_enabled=False)
    world.later(lambda: world.admin.identity.delete_domain(domain.id, ignore_missing=True))
    return {"domain": domain.id}


def domain_created(world: RbacWorld, ctx: dict[str, str]) -> list[str]:
    found = [d.id for d in world.admin.identity.domains(name=ctx["name"])]
    for domain_id in found:
        world.later(partial(world.drop_domain, domain_id))
    return found


LIST_DOMAINS = Op("list domains", lambda c, w, x: ids(c.identity.domains()))
FIND_DOMAIN_E = Op("list domains named as E",
                   lambda c, w, x: ids(c.identity.domains(name=w.admin.identity.get_domain(
                       w.ids["dom_e"]).name)))
GET_DOMAIN_D = Op("get domain D", lambda c, w, x: c.identity.get_domain(w.ids["dom_d"]))
GET_DOMAIN_E = Op("get domain E", lambda c, w, x: c.identity.get_domain(w.ids["dom_e"]))
GET_NO_DOMAIN = Op("get missing domain", lambda c, w, x: c.identity.get_domain("no-such-dom"))
CREATE_DOMAIN = Op("create domain", lambda c, w, x: c.identity.create_domain(name=x["name"]),
                   fresh_name, domain_created)
UPDATE_DOMAIN = Op("update a domain",
                   lambda c, w, x: c.identity.update_domain(x["domain"], description="x"),
                   fresh_domain, lambda w, x: w.admin_get("/domains/{domain}", x))
UPDATE_DOMAIN_D = Op("update domain D",
                     lambda c, w, x: c.identity.update_domain(w.ids["dom_d"], description="x"),
                     observe=lambda w, x: w.admin_get("/domains/{dom_d}"))
DELETE_DOMAIN = Op("delete a disabled domain",
                   lambda c, w, x: c.identity.delete_domain(x["domain"], ignore_missing=False),
                   fresh_domain, lambda w, x: w.admin_get("/domains/{domain}", x))
UPDATE_NO_DOMAIN = Op("update missing domain",
                      lambda c, w, x: c.identity.update_domain("no-such-dom", description="x"))
DELETE_NO_DOMAIN = Op("delete missing domain",
                      lambda c, w, x: c.identity.delete_domain("no-such-dom",
                                                               ignore_missing=False))

OWN_DOMAIN_ONLY = Sees(has=("dom_d",), lacks=("dom_e",))
DOMAINS = [
    ("reader", LIST_DOMAINS, 403),
    ("member", LIST_DOMAINS, 403),
    ("d_reader", LIST_DOMAINS, OWN_DOMAIN_ONLY),
    ("d_manager", LIST_DOMAINS, OWN_DOMAIN_ONLY),
    # Keystone filters the list down to the token's domain whatever the roles.
    ("d_admin", LIST_DOMAINS, OWN_DOMAIN_ONLY),
    ("admin", LIST_DOMAINS, Sees(has=("dom_d", "dom_e"))),
    ("d_reader", FIND_DOMAIN_E, Sees(lacks=("dom_e",))),
    ("d_admin", FIND_DOMAIN_E, Sees(lacks=("dom_e",))),
    ("reader", GET_DOMAIN_D, OK),  # the domain of the token's project
    ("member", GET_DOMAIN_D, OK),
    ("d_reader", GET_DOMAIN_D, OK),
    ("d_manager", GET_DOMAIN_D, OK),
    ("d_admin", GET_DOMAIN_D, OK),
    ("reader", GET_DOMAIN_E, 403),
    ("member", GET_DOMAIN_E, 403),
    ("d_reader", GET_DOMAIN_E, 403),
    ("d_manager", GET_DOMAIN_E, 403),
    # Keystone's rule:admin_required passes an admin at any scope; Nimbus's wants a project
    # or system token, so a domain admin stays in its domain.
    ("d_admin", GET_DOMAIN_E, 403),
    ("reader", GET_NO_DOMAIN, 403),
    ("d_reader", GET_NO_DOMAIN, 403),
    ("d_admin", GET_NO_DOMAIN, 403),
    ("admin", GET_NO_DOMAIN, 404),
    ("reader", CREATE_DOMAIN, 403),
    ("member", CREATE_DOMAIN, 403),
    ("d_manager", CREATE_DOMAIN, 403),
    ("d_admin", CREATE_DOMAIN, 403),  # system or project scope only
    ("admin", CREATE_DOMAIN, OK),
    ("reader", UPDATE_DOMAIN, 403),
    ("member", UPDATE_DOMAIN, 403),
    ("d_manager", UPDATE_DOMAIN, 403),
    ("d_admin", UPDATE_DOMAIN, 403),
    ("admin", UPDATE_DOMAIN, OK),
    ("d_manager", UPDATE_DOMAIN_D, 403),
    ("reader", UPDATE_DOMAIN_D, 403),
    ("d_admin", UPDATE_DOMAIN_D, 403),
    ("member", DELETE_DOMAIN, 403),
    ("reader", DELETE_DOMAIN, 403),
    ("d_manager", DELETE_DOMAIN, 403),
    ("d_admin", DELETE_DOMAIN, 403),
    ("admin", DELETE_DOMAIN, OK),
    # PATCH and DELETE load the domain before the rule: a missing one is a 404 for anyone.
    ("member", UPDATE_NO_DOMAIN, 404),
    ("member", DELETE_NO_DOMAIN, 404),
]


# -- projects -----------------------------------------------------------------------------
def fresh_project(domain: str) -> Any:
    def setup(world: RbacWorld) -> dict[str, str]:
        return {"project": world.new_project(domain).id}
    return setup


def project_created(world: RbacWorld, ctx: dict[str, str]) -> list[tuple[str, str]]:
    return [(p.id, p.domain_id) for p in world.admin.identity.projects(name=ctx["name"])]


def create_project(domain: str | None) -> Op:
    def call(conn: Any, world: RbacWorld, ctx: dict[str, str]) -> Any:
        kw = {"domain_id": world.ids[domain]} if domain else {}
        return conn.identity.create_project(name=ctx["name"], **kw)
    where = f"in {domain[-1].upper()}" if domain else "naming no domain"
    return Op(f"create project {where}", call, fresh_name, project_created)


def project_state(world: RbacWorld, ctx: dict[str, str]) -> Any:
    return world.admin_get("/projects/{project}", ctx)


def get_project(key: str) -> Op:
    return Op(f"get {key}", lambda c, w, x: c.identity.get_project(w.ids[key]))


LIST_PROJECTS = Op("list projects", lambda c, w, x: ids(c.identity.projects()))
GET_NO_PROJECT = Op("get missing project", lambda c, w, x: c.identity.get_project("no-such"))
UPDATE_PROJECT_D = Op("update a project in D",
                      lambda c, w, x: c.identity.update_project(x["project"], description="x"),
                      fresh_project("dom_d"), project_state)
UPDATE_PROJECT_E = Op("update a project in E",
                      lambda c, w, x: c.identity.update_project(x["project"], description="x"),
                      fresh_project("dom_e"), project_state)
UPDATE_PROJECT_A = Op("update own project A",
                      lambda c, w, x: c.identity.update_project(w.ids["proj_a"],
                                                                description="x"),
                      observe=lambda w, x: w.admin_get("/projects/{proj_a}"))
DELETE_PROJECT_D = Op("delete a project in D",
                      lambda c, w, x: c.identity.delete_project(x["project"],
                                                                ignore_missing=False),
                      fresh_project("dom_d"), project_state)
DELETE_PROJECT_E = Op("delete a project in E",
                      lambda c, w, x: c.identity.delete_project(x["project"],
                                                                ignore_missing=False),
                      fresh_project("dom_e"), project_state)
UPDATE_NO_PROJECT = Op("update missing project",
                       lambda c, w, x: c.identity.update_project("no-such", description="x"))
DELETE_NO_PROJECT = Op("delete missing project",
                       lambda c, w, x: c.identity.delete_project("no-such", ignore_missing=False))

IN_DOMAIN_D = Sees(has=("proj_a", "proj_b"), lacks=("proj_e",))
PROJECTS = [
    ("reader", LIST_PROJECTS, 403),
    ("member", LIST_PROJECTS, 403),
    ("d_reader", LIST_PROJECTS, IN_DOMAIN_D),
    ("d_manager", LIST_PROJECTS, IN_DOMAIN_D),
    ("d_admin", LIST_PROJECTS, IN_DOMAIN_D),
    ("admin", LIST_PROJECTS, Sees(has=("proj_a", "proj_b", "proj_e"))),
    ("reader", get_project("proj_a"), OK),
    ("member", get_project("proj_a"), OK),
    ("reader", get_project("proj_b"), 403),
    ("member", get_project("proj_b"), 403),
    ("d_reader", get_project("proj_b"), OK),
    ("d_manager", get_project("proj_b"), OK),
    ("d_admin", get_project("proj_b"), OK),
    ("member", get_project("proj_e"), 403),
    ("d_reader", get_project("proj_e"), 403),
    ("d_manager", get_project("proj_e"), 403),
    ("d_admin", get_project("proj_e"), 403),
    # The target of a missing project is empty: the rules refuse before anyone says 404.
    ("reader", GET_NO_PROJECT, 403),
    ("member", GET_NO_PROJECT, 403),
    ("d_manager", GET_NO_PROJECT, 403),
    ("d_admin", GET_NO_PROJECT, 403),
    ("admin", GET_NO_PROJECT, 404),
    ("reader", create_project("dom_d"), 403),
    ("member", create_project("dom_d"), 403),
    ("d_reader", create_project("dom_d"), 403),
    ("d_manager", create_project("dom_d"), OK),
    ("d_admin", create_project("dom_d"), OK),
    ("admin", create_project("dom_d"), OK),
    ("member", create_project("dom_e"), 403),
    ("d_manager", create_project("dom_e"), 403),
    ("d_admin", create_project("dom_e"), 403),
    ("member", create_project(None), 403),
    # Keystone judges the body as sent: a manager has to name its domain.
    ("d_manager", create_project(None), 403),
    ("d_admin", create_project(None), 403),
    ("reader", UPDATE_PROJECT_A, 403),
    ("member", UPDATE_PROJECT_A, 403),
    ("reader", UPDATE_PROJECT_D, 403),
    ("member", UPDATE_PROJECT_D, 403),
    ("d_reader", UPDATE_PROJECT_D, 403),
    ("d_manager", UPDATE_PROJECT_D, OK),
    ("d_admin", UPDATE_PROJECT_D, OK),
    ("d_manager", UPDATE_PROJECT_E, 403),
    ("d_admin", UPDATE_PROJECT_E, 403),
    ("reader", DELETE_PROJECT_D, 403),
    ("member", DELETE_PROJECT_D, 403),
    ("d_reader", DELETE_PROJECT_D, 403),
    ("d_manager", DELETE_PROJECT_D, OK),
    ("d_admin", DELETE_PROJECT_D, OK),
    ("d_manager", DELETE_PROJECT_E, 403),
    ("d_admin", DELETE_PROJECT_E, 403),
    ("member", UPDATE_NO_PROJECT, 403),
    ("d_manager", UPDATE_NO_PROJECT, 403),
    ("d_admin", UPDATE_NO_PROJECT, 403),
    ("admin", UPDATE_NO_PROJECT, 404),
    ("member", DELETE_NO_PROJECT, 403),
    ("d_manager", DELETE_NO_PROJECT, 403),
    ("admin", DELETE_NO_PROJECT, 404),
]


# -- project tags -------------------------------------------------------------------------
def tagged_project(domain: str) -> Any:
    def setup(world: RbacWorld) -> dict[str, str]:
        project = world.admin.identity.create_project(
            name=unique("rbac-tagged"), domain_id=world.ids[domain], tags=["keep"])
        return {"project": project.id}
    return setup


def tags_of(world: RbacWorld, ctx: dict[str, str]) -> Any:
    return world.admin_get("/projects/{project}/tags", ctx)


def project(ctx_or_key: str, world: RbacWorld, ctx: dict[str, str]) -> Project:
    return Project(id=ctx.get(ctx_or_key) or world.ids[ctx_or_key])


def list_tags(key: str) -> Op:
    return Op(f"list tags of {key}",
              lambda c, w, x: project(key, w, x).fetch_tags(c.identity).tags)


def check_tag(key: str) -> Op:
    return Op(f"check a tag of {key}",
              lambda c, w, x: project(key, w, x).check_tag(c.identity, f"tag-{key}"))


def tag_write(name: str, domain: str, action: Any) -> Op:
    return Op(f"{name} on a project in {domain[-1].upper()}",
              lambda c, w, x: action(project("project", w, x), c.identity),
              tagged_project(domain), tags_of)


def add(p: Project, s: Any) -> Any:
    return p.add_tag(s, "added")


def replace(p: Project, s: Any) -> Any:
    return p.set_tags(s, ["replaced"])


def clear(p: Project, s: Any) -> Any:
    return p.remove_all_tags(s)


def remove(p: Project, s: Any) -> Any:
    return p.remove_tag(s, "keep")


ADD_TAG_A = Op("add a tag to own project A",
               lambda c, w, x: project("proj_a", w, x).add_tag(c.identity, "added"),
               observe=lambda w, x: w.admin_get("/projects/{proj_a}/tags"))
LIST_NO_PROJECT_TAGS = Op("list tags of missing project",
                          lambda c, w, x: Project(id="no-such").fetch_tags(c.identity))

TAGS = [
    ("reader", list_tags("proj_a"), OK),
    ("member", list_tags("proj_a"), OK),
    ("member", list_tags("proj_b"), 403),
    ("d_reader", list_tags("proj_b"), OK),
    ("d_admin", list_tags("proj_b"), OK),
    ("d_reader", list_tags("proj_e"), 403),
    ("d_manager", list_tags("proj_e"), 403),
    ("d_admin", list_tags("proj_e"), 403),
    ("member", LIST_NO_PROJECT_TAGS, 403),
    ("reader", check_tag("proj_a"), OK),
    ("member", check_tag("proj_b"), 403),
    ("d_reader", check_tag("proj_b"), OK),
    ("d_manager", check_tag("proj_e"), 403),
    ("d_admin", check_tag("proj_b"), OK),
    ("d_admin", check_tag("proj_e"), 403),
    ("reader", ADD_TAG_A, 403),
    ("member", ADD_TAG_A, 403),
    ("reader", tag_write("add a tag", "dom_d", add), 403),
    ("member", tag_write("add a tag", "dom_d", add), 403),
    ("d_reader", tag_write("add a tag", "dom_d", add), 403),
    ("d_manager", tag_write("add a tag", "dom_d", add), OK),
    ("d_admin", tag_write("add a tag", "dom_d", add), OK),
    ("d_manager", tag_write("add a tag", "dom_e", add), 403),
    ("d_admin", tag_write("add a tag", "dom_e", add), 403),
    ("member", tag_write("replace tags", "dom_d", replace), 403),
    ("reader", tag_write("replace tags", "dom_d", replace), 403),
    ("d_manager", tag_write("replace tags", "dom_d", replace), OK),
    ("d_manager", tag_write("replace tags", "dom_e", replace), 403),
    ("d_admin", tag_write("replace tags", "dom_d", replace), OK),
    ("d_admin", tag_write("replace tags", "dom_e", replace), 403),
    ("member", tag_write("delete all tags", "dom_d", clear), 403),
    ("reader", tag_write("delete all tags", "dom_d", clear), 403),
    ("d_manager", tag_write("delete all tags", "dom_d", clear), OK),
    ("d_manager", tag_write("delete all tags", "dom_e", clear), 403),
    ("d_admin", tag_write("delete all tags", "dom_d", clear), OK),
    ("d_admin", tag_write("delete all tags", "dom_e", clear), 403),
    ("member", tag_write("delete a tag", "dom_d", remove), 403),
    ("reader", tag_write("delete a tag", "dom_d", remove), 403),
    ("d_reader", tag_write("delete a tag", "dom_d", remove), 403),
    ("d_manager", tag_write("delete a tag", "dom_d", remove), OK),
    ("d_manager", tag_write("delete a tag", "dom_e", remove), 403),
    ("d_admin", tag_write("delete a tag", "dom_d", remove), OK),
    ("d_admin", tag_write("delete a tag", "dom_e", remove), 403),
    ("admin", tag_write("delete a tag", "dom_e", remove), OK),
]


@pytest.fixture(scope="module", autouse=True)
def world_tags(rbac: RbacWorld) -> None:
    for key in ("proj_a", "proj_b", "proj_e"):
        Project(id=rbac.ids[key]).add_tag(rbac.admin.identity, f"tag-{key}")


@pytest.mark.parametrize("actor,op,expected", matrix(DOMAINS + PROJECTS + TAGS))
def test_rbac(rbac: RbacWorld, actor: str, op: Op, expected: Any) -> None:
    run_cell(rbac, actor, op, expected)
