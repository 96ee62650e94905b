"""RBAC matrix for the global things — regions, services, endpoints, registered limits —
and for project and domain limits, as Keystone's default policy answers
(keystone/tests/protection/v3/test_{regions,services,endpoints,registered_limits,limits}.py).
Only a cloud admin writes them; a domain admin's token is refused by scope. A domain admin sees
the limits of its domain only, as its manager does (not a cloud admin in Nimbus:
nimbus/services/identity/policies.py).

Personas and the cell runner: tests/api/conftest.py (``rbac``, ``run_cell``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from tests.api.conftest import OK, Op, RbacWorld, Sees, matrix, run_cell, unique

RESOURCE = "widgets"


def ids(items: Any) -> set[str]:
    return {item.id for item in items}


def raw(method: str, template: str) -> Any:
    return lambda c, w, x: c.identity.request(w.path(template, x), method)


def state(template: str) -> Any:
    return lambda world, ctx: world.admin_get(template, ctx)


# -- regions ------------------------------------------------------------------------------
def fresh_region(world: RbacWorld) -> dict[str, str]:
    region = world.admin.identity.create_region(id=unique("rbac-region"))
    world.later(lambda: world.admin.identity.delete_region(region.id, ignore_missing=True))
    return {"region": region.id}


def new_region_id(world: RbacWorld) -> dict[str, str]:
    region_id = unique("rbac-region")
    world.later(lambda: world.admin.identity.delete_region(region_id, ignore_missing=True))
    return {"region": region_id}


LIST_REGIONS = Op("list regions", lambda c, w, x: ids(c.identity.regions()))
GET_REGION = Op("get RegionOne", lambda c, w, x: c.identity.get_region("RegionOne"))
GET_NO_REGION = Op("get missing region", lambda c, w, x: c.identity.get_region("no-such"))
CREATE_REGION = Op("create region", lambda c, w, x: c.identity.create_region(id=x["region"]),
                   new_region_id, state("/regions/{region}"))
PUT_REGION = Op("create region by PUT",
                lambda c, w, x: c.identity.put(f"/regions/{x['region']}", json={"region": {}}),
                new_region_id, state("/regions/{region}"))
UPDATE_REGION = Op("update region",
                   lambda c, w, x: c.identity.update_region(x["region"], description="x"),
                   fresh_region, state("/regions/{region}"))
DELETE_REGION = Op("delete region",
                   lambda c, w, x: c.identity.delete_region(x["region"], ignore_missing=False),
                   fresh_region, state("/regions/{region}"))
UPDATE_NO_REGION = Op("update missing region",
                      lambda c, w, x: c.identity.update_region("no-such", description="x"))

REGIONS = [
    ("reader", LIST_REGIONS, Sees(has=("region_one",))),  # regions are public knowledge
    ("member", LIST_REGIONS, Sees(has=("region_one",))),
    ("d_reader", LIST_REGIONS, Sees(has=("region_one",))),
    ("d_admin", LIST_REGIONS, Sees(has=("region_one",))),
    ("member", GET_REGION, OK),
    ("d_manager", GET_REGION, OK),
    ("member", GET_NO_REGION, 404),
    ("reader", CREATE_REGION, 403),
    ("member", CREATE_REGION, 403),
    ("d_manager", CREATE_REGION, 403),
    ("d_admin", CREATE_REGION, 403),
    ("admin", CREATE_REGION, OK),
    ("member", PUT_REGION, 403),
    ("d_admin", PUT_REGION, 403),
    ("admin", PUT_REGION, OK),
    ("member", UPDATE_REGION, 403),
    ("d_admin", UPDATE_REGION, 403),
    ("admin", UPDATE_REGION, OK),
    ("member", DELETE_REGION, 403),
    ("reader", DELETE_REGION, 403),
    ("reader", UPDATE_REGION, 403),
    ("d_admin", DELETE_REGION, 403),
    ("admin", DELETE_REGION, OK),
    ("member", UPDATE_NO_REGION, 403),  # nothing is loaded before the rule
    ("admin", UPDATE_NO_REGION, 404),
]


# -- services and endpoints ---------------------------------------------------------------
def fresh_service(world: RbacWorld) -> dict[str, str]:
    service = world.admin.identity.create_service(type=unique("rbac-type"), name="rbac")
    world.later(lambda: world.admin.identity.delete_service(service.id, ignore_missing=True))
    return {"service": service.id}


def services_named(world: RbacWorld, ctx: dict[str, str]) -> list[str]:
    found = [s.id for s in world.admin.identity.services(type=ctx["type"])]
    for service_id in found:
        world.later(partial(world.admin.identity.delete_service, service_id))
    return found


def fresh_endpoint(world: RbacWorld) -> dict[str, str]:
    ctx = fresh_service(world)
    endpoint = world.admin.identity.create_endpoint(service_id=ctx["service"],
                                                    interface="public",
                                                    url="http://rbac.test/", region_id="RegionOne")
    return {**ctx, "endpoint": endpoint.id}


def endpoints_of(world: RbacWorld, ctx: dict[str, str]) -> list[str]:
    return sorted(e.id for e in world.admin.identity.endpoints(service_id=ctx["service"]))


LIST_SERVICES = Op("list services", lambda c, w, x: ids(c.identity.services()))
GET_SERVICE = Op("get the identity service",
                 lambda c, w, x: c.identity.get_service(w.ids["identity_service"]))
GET_NO_SERVICE = Op("get missing service", lambda c, w, x: c.identity.get_service("no-such"))
CREATE_SERVICE = Op("create service",
                    lambda c, w, x: c.identity.create_service(type=x["type"], name="rbac"),
                    lambda w: {"type": unique("rbac-type")}, services_named)
UPDATE_SERVICE = Op("update service",
                    lambda c, w, x: c.identity.update_service(x["service"], description="x"),
                    fresh_service, state("/services/{service}"))
DELETE_SERVICE = Op("delete service",
                    lambda c, w, x: c.identity.delete_service(x["service"],
                                                              ignore_missing=False),
                    fresh_service, state("/services/{service}"))
LIST_ENDPOINTS = Op("list endpoints", lambda c, w, x: ids(c.identity.endpoints()))
GET_ENDPOINT = Op("get an identity endpoint",
                  lambda c, w, x: c.identity.get_endpoint(w.ids["identity_endpoint"]))
CREATE_ENDPOINT = Op("create endpoint",
                     lambda c, w, x: c.identity.create_endpoint(
                         service_id=x["service"], interface="public", url="http://rbac.test/"),
                     fresh_service, endpoints_of)
UPDATE_ENDPOINT = Op("update endpoint",
                     lambda c, w, x: c.identity.update_endpoint(x["endpoint"],
                                                                url="http://moved.test/"),
                     fresh_endpoint, state("/endpoints/{endpoint}"))
DELETE_ENDPOINT = Op("delete endpoint",
                     lambda c, w, x: c.identity.delete_endpoint(x["endpoint"],
                                                                ignore_missing=False),
                     fresh_endpoint, state("/endpoints/{endpoint}"))
DELETE_NO_ENDPOINT = Op("delete missing endpoint",
                        lambda c, w, x: c.identity.delete_endpoint("no-such",
                                                                   ignore_missing=False))

CATALOG = [
    ("reader", LIST_SERVICES, 403),
    ("member", LIST_SERVICES, 403),
    ("d_reader", LIST_SERVICES, 403),
    ("d_admin", LIST_SERVICES, 403),  # system or project scope only
    ("admin", LIST_SERVICES, Sees(has=("identity_service",))),
    ("member", GET_SERVICE, 403),
    ("d_admin", GET_SERVICE, 403),
    ("admin", GET_SERVICE, OK),
    ("member", GET_NO_SERVICE, 403),
    ("admin", GET_NO_SERVICE, 404),
    ("reader", CREATE_SERVICE, 403),
    ("member", CREATE_SERVICE, 403),
    ("d_manager", CREATE_SERVICE, 403),
    ("d_admin", CREATE_SERVICE, 403),
    ("admin", CREATE_SERVICE, OK),
    ("member", UPDATE_SERVICE, 403),
    ("reader", UPDATE_SERVICE, 403),
    ("reader", DELETE_SERVICE, 403),
    ("d_admin", UPDATE_SERVICE, 403),
    ("admin", UPDATE_SERVICE, OK),
    ("member", DELETE_SERVICE, 403),
    ("d_admin", DELETE_SERVICE, 403),
    ("admin", DELETE_SERVICE, OK),
    ("reader", LIST_ENDPOINTS, 403),
    ("member", LIST_ENDPOINTS, 403),
    ("d_reader", LIST_ENDPOINTS, 403),
    ("d_admin", LIST_ENDPOINTS, 403),
    ("admin", LIST_ENDPOINTS, Sees(has=("identity_endpoint",))),
    ("member", GET_ENDPOINT, 403),
    ("d_admin", GET_ENDPOINT, 403),
    ("admin", GET_ENDPOINT, OK),
    ("member", CREATE_ENDPOINT, 403),
    ("reader", CREATE_ENDPOINT, 403),
    ("d_manager", CREATE_ENDPOINT, 403),
    ("d_admin", CREATE_ENDPOINT, 403),
    ("admin", CREATE_ENDPOINT, OK),
    ("member", UPDATE_ENDPOINT, 403),
    ("d_admin", UPDATE_ENDPOINT, 403),
    ("admin", UPDATE_ENDPOINT, OK),
    ("member", DELETE_ENDPOINT, 403),
    ("reader", DELETE_ENDPOINT, 403),
    ("reader", UPDATE_ENDPOINT, 403),
    ("d_admin", DELETE_ENDPOINT, 403),
    ("admin", DELETE_ENDPOINT, OK),
    ("member", DELETE_NO_ENDPOINT, 403),
    ("admin", DELETE_NO_ENDPOINT, 404),
]


# -- registered limits --------------------------------------------------------------------
def fresh_registered_limit(world: RbacWorld) -> dict[str, str]:
    made = world.admin.identity.create_registered_limit(
        service_id=world.ids["limit_service"], resource_name=unique("rbac-res"), default_limit=1)
    world.later(lambda: world.admin.identity.delete_registered_limit(made.id,
                                                                     ignore_missing=True))
    return {"registered_limit": made.id}


def registered_named(world: RbacWorld, ctx: dict[str, str]) -> list[str]:
    found = [r.id for r in world.admin.identity.registered_limits(
        service_id=world.ids["limit_service"], resource_name=ctx["resource"])]
    for made in found:
        world.later(partial(world.admin.identity.delete_registered_limit, made))
    return found


LIST_REGISTERED = Op("list registered limits",
                     lambda c, w, x: ids(c.identity.registered_limits()))
GET_REGISTERED = Op("get a registered limit",
                    lambda c, w, x: c.identity.get_registered_limit(w.ids["registered_limit"]))
CREATE_REGISTERED = Op("create registered limit",
                       lambda c, w, x: c.identity.create_registered_limit(
                           service_id=w.ids["limit_service"], resource_name=x["resource"],
                           default_limit=1),
                       lambda w: {"resource": unique("rbac-res")}, registered_named)
UPDATE_REGISTERED = Op("update registered limit",
                       lambda c, w, x: c.identity.update_registered_limit(
                           x["registered_limit"], default_limit=2),
                       fresh_registered_limit, state("/registered_limits/{registered_limit}"))
DELETE_REGISTERED = Op("delete registered limit",
                       lambda c, w, x: c.identity.delete_registered_limit(
                           x["registered_limit"], ignore_missing=False),
                       fresh_registered_limit, state("/registered_limits/{registered_limit}"))

REGISTERED_LIMITS = [
    ("reader", LIST_REGISTERED, Sees(has=("registered_limit",))),  # anyone may read them
    ("member", LIST_REGISTERED, Sees(has=("registered_limit",))),
    ("d_reader", LIST_REGISTERED, Sees(has=("registered_limit",))),
    ("d_admin", LIST_REGISTERED, Sees(has=("registered_limit",))),
    ("member", GET_REGISTERED, OK),
    ("d_manager", GET_REGISTERED, OK),
    ("reader", CREATE_REGISTERED, 403),
    ("member", CREATE_REGISTERED, 403),
    ("d_manager", CREATE_REGISTERED, 403),
    ("d_admin", CREATE_REGISTERED, 403),
    ("admin", CREATE_REGISTERED, OK),
    ("member", UPDATE_REGISTERED, 403),
    ("reader", UPDATE_REGISTERED, 403),
    ("reader", DELETE_REGISTERED, 403),
    ("d_admin", UPDATE_REGISTERED, 403),
    ("admin", UPDATE_REGISTERED, OK),
    ("member", DELETE_REGISTERED, 403),
    ("d_admin", DELETE_REGISTERED, 403),
    ("admin", DELETE_REGISTERED, OK),
]


# -- limits -------------------------------------------------------------------------------
def fresh_limit(world: RbacWorld) -> dict[str, str]:
    project = world.new_project()
    made = world.admin.identity.create_limit(service_id=world.ids["limit_service"],
                                             resource_name=RESOURCE, resource_limit=3,
                                             project_id=project.id)
    return {"limit": made.id, "project": project.id}


def limits_of(world: RbacWorld, ctx: dict[str, str]) -> list[tuple[str, int]]:
    return [(lim.id, lim.resource_limit)
            for lim in world.admin.identity.limits(project_id=ctx["project"])]


def get_limit(key: str) -> Op:
    return Op(f"get {key}", lambda c, w, x: c.identity.get_limit(w.ids[key]))


LIST_LIMITS = Op("list limits", lambda c, w, x: ids(c.identity.limits()))
LIST_B_LIMITS = Op("list limits of B",
                   lambda c, w, x: ids(c.identity.limits(project_id=w.ids["proj_b"])))
GET_NO_LIMIT = Op("get missing limit", lambda c, w, x: c.identity.get_limit("no-such"))
CREATE_LIMIT = Op("create limit",
                  lambda c, w, x: c.identity.create_limit(
                      service_id=w.ids["limit_service"], resource_name=RESOURCE,
                      resource_limit=3, project_id=x["project"]),
                  lambda w: {"project": w.new_project().id}, limits_of)
UPDATE_LIMIT = Op("update limit",
                  lambda c, w, x: c.identity.update_limit(x["limit"], resource_limit=4),
                  fresh_limit, limits_of)
UPDATE_A_LIMIT = Op("update limit_a",
                    lambda c, w, x: c.identity.update_limit(w.ids["limit_a"], resource_limit=4),
                    observe=state("/limits/{limit_a}"))
DELETE_LIMIT = Op("delete limit",
                  lambda c, w, x: c.identity.delete_limit(x["limit"], ignore_missing=False),
                  fresh_limit, limits_of)
UPDATE_NO_LIMIT = Op("update missing limit",
                     lambda c, w, x: c.identity.update_limit("no-such", resource_limit=4))
DELETE_NO_LIMIT = Op("delete missing limit",
                     lambda c, w, x: c.identity.delete_limit("no-such", ignore_missing=False))
LIMIT_MODEL = Op("get the limit model", raw("GET", "/limits/model"))

ALL_LIMITS = ("limit_a", "limit_b", "limit_e", "limit_dom_d", "limit_dom_e")
OWN_PROJECT_LIMITS = Sees(has=("limit_a",),
                          lacks=("limit_b", "limit_e", "limit_dom_d", "limit_dom_e"))
DOMAIN_D_LIMITS = Sees(has=("limit_a", "limit_b", "limit_dom_d"),
                       lacks=("limit_e", "limit_dom_e"))
LIMITS = [
    ("reader", LIST_LIMITS, OWN_PROJECT_LIMITS),
    ("member", LIST_LIMITS, OWN_PROJECT_LIMITS),
    ("member_b", LIST_LIMITS, Sees(has=("limit_b",), lacks=("limit_a", "limit_e"))),
    ("member", LIST_B_LIMITS, Sees(lacks=("limit_b",))),
    ("d_reader", LIST_LIMITS, DOMAIN_D_LIMITS),
    ("d_manager", LIST_LIMITS, DOMAIN_D_LIMITS),
    # Keystone lists everything to the admin role at any scope; Nimbus to a cloud admin only.
    ("d_admin", LIST_LIMITS, DOMAIN_D_LIMITS),
    ("admin", LIST_LIMITS, Sees(has=ALL_LIMITS)),
    ("reader", get_limit("limit_a"), OK),
    ("member", get_limit("limit_a"), OK),
    ("member", get_limit("limit_b"), 403),
    ("member", get_limit("limit_e"), 403),
    ("member", get_limit("limit_dom_d"), 403),
    ("d_reader", get_limit("limit_b"), OK),
    ("d_reader", get_limit("limit_dom_d"), OK),
    ("d_reader", get_limit("limit_e"), 403),
    ("d_reader", get_limit("limit_dom_e"), 403),
    ("d_manager", get_limit("limit_e"), 403),
    ("d_admin", get_limit("limit_b"), OK),
    ("d_admin", get_limit("limit_dom_d"), OK),
    ("d_admin", get_limit("limit_e"), 403),
    ("d_admin", get_limit("limit_dom_e"), 403),
    ("d_admin", GET_NO_LIMIT, 403),
    ("member", GET_NO_LIMIT, 403),
    ("admin", GET_NO_LIMIT, 404),
    ("member", LIMIT_MODEL, OK),
    ("d_reader", LIMIT_MODEL, OK),
    ("reader", CREATE_LIMIT, 403),
    ("member", CREATE_LIMIT, 403),
    ("d_manager", CREATE_LIMIT, 403),
    ("d_admin", CREATE_LIMIT, 403),  # system or project scope only
    ("admin", CREATE_LIMIT, OK),
    ("member", UPDATE_A_LIMIT, 403),
    ("member", UPDATE_LIMIT, 403),
    ("reader", UPDATE_LIMIT, 403),
    ("reader", DELETE_LIMIT, 403),
    ("d_manager", UPDATE_LIMIT, 403),
    ("d_admin", UPDATE_LIMIT, 403),
    ("admin", UPDATE_LIMIT, OK),
    ("member", DELETE_LIMIT, 403),
    ("d_manager", DELETE_LIMIT, 403),
    ("d_admin", DELETE_LIMIT, 403),
    ("admin", DELETE_LIMIT, OK),
    # PATCH and DELETE load the limit before the rule: a missing one is a 404 for anyone.
    ("member", UPDATE_NO_LIMIT, 404),
    ("member", DELETE_NO_LIMIT, 404),
]


@pytest.fixture(scope="module", autouse=True)
def world_catalog(rbac: RbacWorld) -> None:
    """RegionOne and the identity service and endpoint that bootstrap made; a service with a
    registered limit, and limits on projects A, B, E and on domains D and E."""
    identity = rbac.admin.identity
    rbac.ids["region_one"] = "RegionOne"
    service = next(identity.services(type="identity"))
    rbac.ids["identity_service"] = service.id
    rbac.ids["identity_endpoint"] = next(identity.endpoints(service_id=service.id)).id
    limit_service = identity.create_service(type=unique("rbac-limits"), name="rbac-limits")
    rbac.ids["limit_service"] = limit_service.id
    rbac.later(lambda: identity.delete_service(limit_service.id, ignore_missing=True))
    registered = identity.create_registered_limit(service_id=limit_service.id,
                                                  resource_name=RESOURCE, default_limit=10)
    rbac.ids["registered_limit"] = registered.id
    rbac.later(lambda: identity.delete_registered_limit(registered.id, ignore_missing=True))
    for key, owner in (("limit_a", "proj_a"), ("limit_b", "proj_b"), ("limit_e", "proj_e"),
                       ("limit_dom_d", "dom_d"), ("limit_dom_e", "dom_e")):
        field = "project_id" if owner.startswith("proj") else "domain_id"
        made = identity.create_limit(service_id=limit_service.id, resource_name=RESOURCE,
                                     resource_limit=5, **{field: rbac.ids[owner]})
        rbac.ids[key] = made.id
        rbac.later(partial(identity.delete_limit, made.id, ignore_missing=True))


@pytest.mark.parametrize("actor,op,expected",
                         matrix(REGIONS + CATALOG + REGISTERED_LIMITS + LIMITS))
def test_rbac(rbac: RbacWorld, actor: str, op: Op, expected: Any) -> None:
    run_cell(rbac, actor, op, expected)
