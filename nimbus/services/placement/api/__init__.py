"""Placement API: the route table and the mount at /placement.

Each route names Placement's policy rule and the microversions it exists at; the rule is
checked after the version is worked out (api/common.py), as Placement does. A method a
path lacks is a 405 with ``Allow``; a route outside its versions a 404 (405 for DELETE of
all inventories before 1.5, as Placement says).
"""

from __future__ import annotations

from typing import Any

from nimbus.kernel.microversion import Version
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import ApiRequest, Route
from nimbus.services.placement.api import (
    allocations,
    candidates,
    classes,
    inventories,
    providers,
    root,
)
from nimbus.services.placement.api.common import (
    Handler,
    PlacementApi,
    check_content_type,
    no_route,
    route,
)
from nimbus.services.placement.errors import placement_fault
from nimbus.services.placement.policies import RULES
from nimbus.services.placement.service import placement_of

RP = "/resource_providers/{uuid}"
INV = f"{RP}/inventories"
P = "placement:"
RPS = f"{P}resource_providers:"


def routes() -> list[Route]:
    return [
        route("GET", "/", root.home, None),
        route("GET", "/resource_providers", providers.list_providers, f"{RPS}list",
              accept=True),
        route("POST", "/resource_providers", providers.create_provider, f"{RPS}create",
              content=True),
        route("GET", RP, providers.show_provider, f"{RPS}show", accept=True),
        route("PUT", RP, providers.update_provider, f"{RPS}update", content=True),
        route("DELETE", RP, providers.delete_provider, f"{RPS}delete"),
        route("GET", INV, inventories.list_inventories, f"{RPS}inventories:list",
              accept=True),
        route("POST", INV, inventories.create_inventory, f"{RPS}inventories:create",
              content=True),
        route("PUT", INV, inventories.set_inventories, f"{RPS}inventories:update",
              content=True),
        route("DELETE", INV, inventories.delete_inventories, f"{RPS}inventories:delete",
              since="1.5", missing=405),
        route("GET", f"{INV}/{{resource_class}}", inventories.show_inventory,
              f"{RPS}inventories:show", accept=True),
        route("PUT", f"{INV}/{{resource_class}}", inventories.update_inventory,
              f"{RPS}inventories:update", content=True),
        route("DELETE", f"{INV}/{{resource_class}}", inventories.delete_inventory,
              f"{RPS}inventories:delete"),
        route("GET", f"{RP}/usages", allocations.provider_usages, f"{RPS}usages",
              accept=True),
        route("GET", f"{RP}/aggregates", providers.list_aggregates, f"{RPS}aggregates:list",
              since="1.1", accept=True),
        route("PUT", f"{RP}/aggregates", providers.update_aggregates,
              f"{RPS}aggregates:update", since="1.1", content=True),
        route("GET", f"{RP}/allocations", allocations.list_for_provider,
              f"{RPS}allocations:list", accept=True),
        route("GET", f"{RP}/traits", providers.list_provider_traits, f"{RPS}traits:list",
              since="1.6", accept=True),
        route("PUT", f"{RP}/traits", providers.update_provider_traits, f"{RPS}traits:update",
              since="1.6", content=True),
        route("DELETE", f"{RP}/traits", providers.delete_provider_traits,
              f"{RPS}traits:delete", since="1.6"),
        *_class_and_trait_routes(),
        *_allocation_routes(),
        *(route(method, "/{rest:path}", no_route, None)
          for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")),
    ]


def _class_and_trait_routes() -> list[Route]:
    rc, name = f"{P}resource_classes:", "/resource_classes/{name}"
    return [
        route("GET", "/resource_classes", classes.list_classes, f"{rc}list", since="1.2",
              accept=True),
        route("POST", "/resource_classes", classes.create_class, f"{rc}create", since="1.2",
              content=True),
        route("GET", name, classes.show_class, f"{rc}show", since="1.2", accept=True),
        route("PUT", name, _by_version(classes.rename_class, classes.put_class),
              f"{rc}update", since="1.2"),
        route("DELETE", name, classes.delete_class, f"{rc}delete", since="1.2"),
        route("GET", "/traits", classes.list_traits, f"{P}traits:list", since="1.6",
              accept=True),
        route("GET", "/traits/{name}", classes.show_trait, f"{P}traits:show", since="1.6"),
        route("PUT", "/traits/{name}", classes.put_trait, f"{P}traits:update", since="1.6"),
        route("DELETE", "/traits/{name}", classes.delete_trait, f"{P}traits:delete",
              since="1.6"),
    ]


def _by_version(before_1_7: Handler, from_1_7: Handler) -> Handler:
    def put(req: ApiRequest, v: Version) -> Any:
        if v.matches("1.7"):
            return from_1_7(req, v)
        check_content_type(req)
        return before_1_7(req, v)

    return put


def _allocation_routes() -> list[Route]:
    al = f"{P}allocations:"
    consumer = "/allocations/{consumer_uuid}"
    return [
        route("POST", "/allocations", allocations.post_allocations, f"{al}manage",
              since="1.13", content=True),
        route("GET", consumer, allocations.list_for_consumer, f"{al}list", accept=True),
        route("PUT", consumer, allocations.put_allocations, f"{al}update", content=True),
        route("DELETE", consumer, allocations.delete_allocations, f"{al}delete"),
        route("GET", "/allocation_candidates", candidates.list_candidates,
              f"{P}allocation_candidates:list", since="1.10", accept=True),
        route("GET", "/usages", allocations.total_usages, f"{P}usages", since="1.9",
              accept=True, target=allocations.usages_target),
        route("POST", "/reshaper", allocations.reshape, f"{P}reshaper:reshape",
              since="1.30", content=True),
    ]


def build_api(runtime: Runtime) -> PlacementApi:
    settings = runtime.settings
    api = PlacementApi("placement", "/placement", routes(),
                       enforcer=Enforcer(RULES, settings.policy_file("placement")),
                       fault_format=placement_fault, validator=runtime.token_validator,
                       public_url=settings.effective_public_url,
                       max_body=settings.max_request_body_size, flat_targets=True)
    api.service = placement_of(runtime)  # type: ignore[attr-defined]
    return api
