"""RBAC for OS-EP-FILTER, /v3/policies, OS-ENDPOINT-POLICY and OS-REVOKE, as Keystone's
secure-RBAC defaults answer: writes take a cloud admin, reads an admin or a system reader;
a domain admin, a project reader or member are refused (and change nothing)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import (
    OK,
    Op,
    RbacWorld,
    connection_for,
    matrix,
    password_session,
    run_cell,
    unique,
)

EF = "/OS-EP-FILTER"


def _groups(w: RbacWorld, x: dict[str, str]) -> Any:
    return sorted(g["id"] for g in w.admin.identity.get(f"{EF}/endpoint_groups")
                  .json()["endpoint_groups"])


def _group_projects(w: RbacWorld, x: dict[str, str]) -> Any:
    return w.admin_get(EF + "/endpoint_groups/{eg}/projects")[1]


def _endpoint_projects(w: RbacWorld, x: dict[str, str]) -> Any:
    return w.admin_get(EF + "/endpoints/{ep}/projects")[1]


def _policies(w: RbacWorld, x: dict[str, str]) -> Any:
    return sorted(p["id"] for p in w.admin.identity.get("/policies").json()["policies"])


def _new_policy(w: RbacWorld) -> dict[str, str]:
    policy = w.admin.identity.post("/policies", json={"policy": {"blob": "{}", "type": "x"}})
    policy_id = policy.json()["policy"]["id"]
    w.later(lambda: w.admin.identity.delete(f"/policies/{policy_id}"))
    return {"policy": policy_id}


LIST_GROUPS = Op("list endpoint groups", lambda c, w, x: c.identity.get(f"{EF}/endpoint_groups"))
GET_GROUP = Op("get endpoint group", lambda c, w, x: c.identity.get(
    w.path(EF + "/endpoint_groups/{eg}")))
CREATE_GROUP = Op("create endpoint group", lambda c, w, x: c.identity.post(
    f"{EF}/endpoint_groups", json={"endpoint_group": {"name": unique("rbac-eg"),
                                                      "filters": {"interface": "admin"}}}),
    observe=_groups)
ADD_GROUP = Op("add endpoint group to project", lambda c, w, x: c.identity.put(
    w.path(EF + "/endpoint_groups/{eg}/projects/{proj_b}")), observe=_group_projects)
LIST_GROUP_PROJECTS = Op("list projects of endpoint group", lambda c, w, x: c.identity.get(
    w.path(EF + "/endpoint_groups/{eg}/projects")))
ADD_ENDPOINT = Op("add endpoint to project", lambda c, w, x: c.identity.put(
    w.path(EF + "/projects/{proj_b}/endpoints/{ep}")), observe=_endpoint_projects)
LIST_PROJECT_ENDPOINTS = Op("list endpoints of project", lambda c, w, x: c.identity.get(
    w.path(EF + "/projects/{proj_a}/endpoints")))
LIST_POLICIES = Op("list policies", lambda c, w, x: c.identity.get("/policies"))
GET_POLICY = Op("get policy", lambda c, w, x: c.identity.get(w.path("/policies/{policy}")))
CREATE_POLICY = Op("create policy", lambda c, w, x: c.identity.post(
    "/policies", json={"policy": {"blob": "{}", "type": unique("rbac")}}), observe=_policies)
DELETE_POLICY = Op("delete policy", lambda c, w, x: c.identity.delete(
    f"/policies/{x['policy']}"), setup=_new_policy, observe=_policies)
ASSOCIATE_POLICY = Op("associate policy with endpoint", lambda c, w, x: c.identity.put(
    w.path("/policies/{policy}/OS-ENDPOINT-POLICY/endpoints/{ep}")),
    observe=lambda w, x: w.admin_get("/endpoints/{ep}/OS-ENDPOINT-POLICY/policy")[0])
LIST_POLICY_ENDPOINTS = Op("list endpoints of policy", lambda c, w, x: c.identity.get(
    w.path("/policies/{policy}/OS-ENDPOINT-POLICY/endpoints")))
LIST_EVENTS = Op("list revoke events", lambda c, w, x: c.identity.get("/OS-REVOKE/events"))

READS = (LIST_GROUPS, GET_GROUP, LIST_GROUP_PROJECTS, LIST_PROJECT_ENDPOINTS, LIST_POLICIES,
         GET_POLICY, LIST_POLICY_ENDPOINTS)
WRITES = (CREATE_GROUP, ADD_GROUP, ADD_ENDPOINT, CREATE_POLICY, DELETE_POLICY,
          ASSOCIATE_POLICY)
TABLE: list[tuple[Any, ...]] = [
    *[(actor, op, OK) for op in READS for actor in ("admin", "s_reader")],
    *[(actor, op, 403) for op in READS for actor in ("reader", "member", "d_admin")],
    *[("admin", op, OK) for op in WRITES],
    *[(actor, op, 403) for op in WRITES
      for actor in ("s_reader", "reader", "member", "d_manager", "d_admin")],
    ("admin", LIST_EVENTS, OK),
    ("s_reader", LIST_EVENTS, 403),  # Keystone: service or admin only
    ("member", LIST_EVENTS, 403),
]


@pytest.fixture(scope="module", autouse=True)
def world_ep_filter(rbac: RbacWorld) -> None:
    """An endpoint group and an endpoint of a service of their own, a policy blob, and a
    system reader (``s_reader``)."""
    identity = rbac.admin.identity
    service = identity.create_service(type=unique("rbac-ef"), name=unique("rbac-ef"))
    rbac.later(lambda: identity.delete_service(service.id, ignore_missing=True))
    rbac.ids["ep"] = identity.create_endpoint(service_id=service.id, interface="public",
                                              url="http://rbac-ef.test/").id
    group = identity.create_endpoint_group(name=unique("rbac-eg"),
                                           filters={"service_id": service.id})
    rbac.ids["eg"] = group.id
    rbac.later(lambda: identity.delete_endpoint_group(group.id, ignore_missing=True))
    rbac.ids.update(_new_policy(rbac))
    password = uuid.uuid4().hex
    user = rbac.new_user(password=password)
    identity.put(f"/system/users/{user.id}/roles/{rbac.ids['role_reader']}")
    sess = password_session(rbac.cloud, user.name, password, system_scope="all",
                            user_domain_id=rbac.ids["dom_d"])
    sess.get_token()
    rbac.conns["s_reader"] = connection_for(sess)


@pytest.mark.parametrize("actor,op,expected", matrix(TABLE))
def test_rbac(rbac: RbacWorld, actor: str, op: Op, expected: Any) -> None:
    run_cell(rbac, actor, op, expected)
