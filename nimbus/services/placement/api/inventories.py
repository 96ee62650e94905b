"""Inventories of a provider (placement/handlers/inventory.py)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.microversion import Version
from nimbus.kernel.web import ApiRequest
from nimbus.services.placement.api.common import empty, extract_json, latest, reply
from nimbus.services.placement.api.providers import svc
from nimbus.services.placement.errors import PlacementBadRequest, PlacementNotFound
from nimbus.services.placement.schemas import bodies
from nimbus.services.placement.service.inventories import check_capacity, make_inventory
from nimbus.services.placement.service.providers import ProviderNotFound
from nimbus.services.placement.service.types import Inventory, Provider


def _render_one(inv: Inventory, generation: int | None) -> dict[str, Any]:
    out = inv.as_dict()
    if generation:
        out["resource_provider_generation"] = generation
    return out


def _render_all(provider: Provider, invs: list[Inventory], v: Version) -> Any:
    body = {"resource_provider_generation": provider.generation,
            "inventories": {i.resource_class: i.as_dict() for i in invs}}
    return reply(body, v, modified=latest(*(i.updated_at for i in invs)))


def _capacity(uuid: str, invs: list[Inventory], v: Version, prefix: str) -> None:
    problem = check_capacity(uuid, invs, v.matches("1.26"))
    if problem:
        raise PlacementBadRequest(f"{prefix} {uuid}: {problem}")


def _provider_or_404(req: ApiRequest, uuid: str) -> tuple[Provider, list[Inventory]]:
    try:
        return svc(req).inventories.of_provider(uuid)
    except ProviderNotFound as err:
        raise PlacementNotFound(f"No resource provider with uuid {uuid} found : "
                                f"{err.message}") from None


def list_inventories(req: ApiRequest, v: Version) -> Any:
    provider, invs = _provider_or_404(req, req.path_params["uuid"])
    return _render_all(provider, invs, v)


def show_inventory(req: ApiRequest, v: Version) -> Any:
    uuid, rc = req.path_params["uuid"], req.path_params["resource_class"]
    provider, invs = _provider_or_404(req, uuid)
    for inv in invs:
        if inv.resource_class == rc:
            return reply(_render_one(inv, provider.generation), v, modified=inv.updated_at)
    raise PlacementNotFound(f"No inventory of class {rc} for {uuid}")


def create_inventory(req: ApiRequest, v: Version) -> Any:
    uuid = req.path_params["uuid"]
    svc(req).providers.get(uuid)
    data = extract_json(req, bodies.POST_INVENTORY)
    inv = make_inventory(data["resource_class"], data)
    _capacity(uuid, [inv], v, "Unable to create inventory for resource provider")
    provider = svc(req).inventories.create(uuid, inv)
    location = f"{req.base_url}/resource_providers/{uuid}/inventories/{inv.resource_class}"
    return reply(_render_one(inv, provider.generation), v, status=201, modified=None,
                 headers={"location": location})


def update_inventory(req: ApiRequest, v: Version) -> Any:
    uuid, rc = req.path_params["uuid"], req.path_params["resource_class"]
    svc(req).providers.get(uuid)
    data = extract_json(req, bodies.BASE_INVENTORY)
    inv = make_inventory(rc, data)
    provider = svc(req).providers.get(uuid)
    if data["resource_provider_generation"] == provider.generation:
        _capacity(uuid, [inv], v, "Unable to update inventory for resource provider")
    provider = svc(req).inventories.update(uuid, inv, data["resource_provider_generation"])
    return reply(_render_one(inv, provider.generation), v, modified=None)


def set_inventories(req: ApiRequest, v: Version) -> Any:
    uuid = req.path_params["uuid"]
    provider = svc(req).providers.get(uuid)
    data = extract_json(req, bodies.PUT_INVENTORIES)
    invs = {rc: make_inventory(rc, raw) for rc, raw in data["inventories"].items()}
    if data["resource_provider_generation"] == provider.generation:
        _capacity(uuid, list(invs.values()), v,
                  "Unable to update inventory for resource provider")
    provider = svc(req).inventories.set_all(uuid, invs, data["resource_provider_generation"])
    return _render_all(provider, list(invs.values()), v)


def delete_inventory(req: ApiRequest, v: Version) -> Any:
    svc(req).inventories.delete(req.path_params["uuid"], req.path_params["resource_class"])
    return empty(204, v)


def delete_inventories(req: ApiRequest, v: Version) -> Any:
    svc(req).inventories.delete_all(req.path_params["uuid"])
    return empty(204, v)
