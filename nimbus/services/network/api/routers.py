"""L3 routes beyond plain CRUD: the router actions (interfaces, extra routes), the gateway's
sub-attribute policy, floating IP pools, and a floating IP's port forwardings (a
sub-resource, so its handlers are here rather than in ``resource.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.network.api.resource import (
    ANY_CALLER,
    allowed,
    body_of,
    check_attrs,
    create_handler,
    crud_routes,
    load_visible,
    parse_list_query,
    service_of,
    update_handler,
    view,
)
from nimbus.services.network.api.tags import tag_routes
from nimbus.services.network.errors import BadRequestNeutron, InvalidInput, PolicyNotAuthorized
from nimbus.services.network.schemas.routers import (
    FLOATINGIP,
    GATEWAY_KEYS,
    PORT_FORWARDING,
    ROUTER,
    routes_value,
)

Handler = Callable[[ApiRequest], Any]


def _gateway_policy(action: str, inner: Handler) -> Handler:
    """``<action>_router:external_gateway_info:<key>`` for each key of the gateway given
    (enable_snat and external_fixed_ips are admin-only), as Neutron's sub-attribute rules."""
    def handle(req: ApiRequest) -> Any:
        doc = req.json()
        body = doc.get("router") if isinstance(doc, dict) else None
        gateway = body.get("external_gateway_info") if isinstance(body, dict) else None
        if isinstance(gateway, dict) and gateway:
            if action == "update":
                target = load_visible(req, ROUTER, req.path_params["id"])
            else:
                target = {"project_id": body.get("project_id") or body.get("tenant_id")  # type: ignore[union-attr]
                          or req.ctx.project_id}
            for key in GATEWAY_KEYS:
                rule = f"{action}_router:external_gateway_info:{key}"
                if key in gateway and not allowed(req, rule, target):
                    raise PolicyNotAuthorized(rule)
        return inner(req)
    return handle


def _router_action(rule: str, work: Callable[[ApiRequest, Any], Any]) -> Handler:
    def handle(req: ApiRequest) -> Any:
        router = load_visible(req, ROUTER, req.path_params["id"])
        if not allowed(req, rule, router):
            raise PolicyNotAuthorized(rule)
        return work(req, req.json())
    return handle


def _routes_body(body: Any) -> list[dict[str, str]]:
    router = body.get("router") if isinstance(body, dict) else None
    if not isinstance(router, dict) or "routes" not in router:
        raise BadRequestNeutron("router", "Unable to find 'routes' in request body")
    try:
        return routes_value(router["routes"])
    except InvalidInput as e:
        raise InvalidInput("Invalid input for routes. Reason: " +
                           e.message.removeprefix("Invalid input for operation: ").rstrip(".")
                           ) from None


def _edit_routes(add: bool) -> Callable[[ApiRequest, Any], Any]:
    def work(req: ApiRequest, body: Any) -> dict[str, Any]:
        routes = _routes_body(body)
        updated = service_of(req).routers.edit_routes(req.ctx, req.path_params["id"], routes,
                                                      add=add)
        return {"router": view(req, ROUTER, updated)}
    return work


def router_routes() -> list[Route]:
    base = "/v2.0/routers/{id}"
    routers = lambda req: service_of(req).routers  # noqa: E731
    return [
        *crud_routes(ROUTER, verbs="LSD"),
        *tag_routes(ROUTER),
        Route("POST", "/v2.0/routers", _gateway_policy("create", create_handler(ROUTER)),
              ANY_CALLER),
        Route("PUT", base, _gateway_policy("update", update_handler(ROUTER)), ANY_CALLER),
        Route("PUT", f"{base}/add_router_interface", _router_action(
            "add_router_interface",
            lambda req, body: routers(req).add_interface(req.ctx, req.path_params["id"], body)),
            ANY_CALLER),
        Route("PUT", f"{base}/remove_router_interface", _router_action(
            "remove_router_interface",
            lambda req, body: routers(req).remove_interface(req.ctx, req.path_params["id"],
                                                            body)),
            ANY_CALLER),
        Route("PUT", f"{base}/add_extraroutes",
              _router_action("add_extraroutes", _edit_routes(True)), ANY_CALLER),
        Route("PUT", f"{base}/remove_extraroutes",
              _router_action("remove_extraroutes", _edit_routes(False)), ANY_CALLER),
    ]


# -- floating IP pools ------------------------------------------------------------------

def list_pools(req: ApiRequest) -> dict[str, Any]:
    if not allowed(req, "get_floatingip_pool", {"project_id": req.ctx.project_id}):
        raise PolicyNotAuthorized("get_floatingip_pool")
    return {"floatingip_pools": service_of(req).floatingips.pools(req.ctx)}


# -- port forwardings -------------------------------------------------------------------

def _parent(req: ApiRequest) -> dict[str, Any]:
    fip = load_visible(req, FLOATINGIP, req.path_params["floatingip_id"])
    return {"ext_parent_project_id": fip["project_id"], "project_id": fip["project_id"]}


def _pf_allowed(req: ApiRequest, action: str, target: dict[str, Any]) -> None:
    rule = f"{action}_floatingip_port_forwarding"
    if not allowed(req, rule, target):
        raise PolicyNotAuthorized(rule)


def _pfs(req: ApiRequest) -> Any:
    return service_of(req).port_forwardings


def list_pfs(req: ApiRequest) -> dict[str, Any]:
    target = _parent(req)
    _pf_allowed(req, "get", target)
    query = parse_list_query(req, PORT_FORWARDING)
    items = _pfs(req).list(req.ctx, req.path_params["floatingip_id"], query)
    return {"port_forwardings": [view(req, PORT_FORWARDING, i, query.fields) for i in items]}


def show_pf(req: ApiRequest) -> dict[str, Any]:
    target = _parent(req)
    _pf_allowed(req, "get", target)
    item = _pfs(req).get(req.ctx, req.path_params["floatingip_id"], req.path_params["id"])
    return {"port_forwarding": view(req, PORT_FORWARDING, item,
                                    req.query.getlist("fields") or None)}


def create_pf(req: ApiRequest) -> Reply:
    target = _parent(req)
    _pf_allowed(req, "create", target)
    body = body_of(req, PORT_FORWARDING, bulk=False)[0]
    values = check_attrs(PORT_FORWARDING, body, creating=True, req=req)
    item = _pfs(req).create(req.ctx, req.path_params["floatingip_id"], values)
    return Reply({"port_forwarding": view(req, PORT_FORWARDING, item)}, status=201)


def update_pf(req: ApiRequest) -> dict[str, Any]:
    target = _parent(req)
    _pf_allowed(req, "update", target)
    body = body_of(req, PORT_FORWARDING, bulk=False)[0]
    values = check_attrs(PORT_FORWARDING, body, creating=False, req=req)
    item = _pfs(req).update(req.ctx, req.path_params["floatingip_id"], req.path_params["id"],
                            values)
    return {"port_forwarding": view(req, PORT_FORWARDING, item)}


def delete_pf(req: ApiRequest) -> Reply:
    target = _parent(req)
    _pf_allowed(req, "delete", target)
    _pfs(req).delete(req.ctx, req.path_params["floatingip_id"], req.path_params["id"])
    return Reply(status=204)


def floating_routes() -> list[Route]:
    """Pools and port forwardings; the floating IPs' own CRUD comes from ``RESOURCES``."""
    coll = "/v2.0/floatingips/{floatingip_id}/port_forwardings"
    return [
        Route("GET", "/v2.0/floatingip_pools", list_pools, ANY_CALLER),
        Route("GET", coll, list_pfs, ANY_CALLER),
        Route("POST", coll, create_pf, ANY_CALLER),
        Route("GET", f"{coll}/{{id}}", show_pf, ANY_CALLER),
        Route("PUT", f"{coll}/{{id}}", update_pf, ANY_CALLER),
        Route("DELETE", f"{coll}/{{id}}", delete_pf, ANY_CALLER),
    ]
