"""Resource providers, their traits and aggregates (placement/handlers/resource_provider.py,
trait.py, aggregate.py)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.microversion import Version
from nimbus.kernel.web import ApiRequest
from nimbus.services.placement.api.common import (
    empty,
    extract_json,
    latest,
    reply,
    validate_query,
)
from nimbus.services.placement.errors import (
    ConcurrentUpdate,
    PlacementNotFound,
    ProviderNotFound,
)
from nimbus.services.placement.schemas import bodies
from nimbus.services.placement.schemas.query import member_of_params, parse_resources, traits_params
from nimbus.services.placement.service import PlacementService
from nimbus.services.placement.service.listing import ProviderFilter, filter_providers
from nimbus.services.placement.service.providers import GENERATION_CHANGED, UNSET
from nimbus.services.placement.service.types import Provider


def svc(req: ApiRequest) -> PlacementService:
    return req.api.service  # type: ignore[attr-defined, no-any-return]


def provider_url(req: ApiRequest, uuid: str) -> str:
    return f"{req.api.prefix}/resource_providers/{uuid}"


def render_provider(req: ApiRequest, p: Provider, v: Version) -> dict[str, Any]:
    url = provider_url(req, p.uuid)
    rels = ["inventories", "usages"]
    rels += ["aggregates"] if v.matches("1.1") else []
    rels += ["traits"] if v.matches("1.6") else []
    rels += ["allocations"] if v.matches("1.11") else []
    out: dict[str, Any] = {"uuid": p.uuid, "name": p.name, "generation": p.generation,
                           "links": [{"rel": "self", "href": url},
                                     *({"rel": r, "href": f"{url}/{r}"} for r in rels)]}
    if v.matches("1.14"):
        out["parent_provider_uuid"] = p.parent_provider_uuid
        out["root_provider_uuid"] = p.root_provider_uuid
    return out


def _modified(p: Provider) -> Any:
    return p.updated_at or p.created_at


def create_provider(req: ApiRequest, v: Version) -> Any:
    schema = bodies.POST_PROVIDER_1_14 if v.matches("1.14") else bodies.POST_PROVIDER
    data = extract_json(req, schema)
    provider = svc(req).providers.create(data["name"], data.get("uuid"),
                                         data.get("parent_provider_uuid"))
    location = {"location": f"{req.base_url}/resource_providers/{provider.uuid}"}
    if v.matches("1.20"):
        return reply(render_provider(req, provider, v), v, modified=_modified(provider),
                     headers=location)
    return empty(201, v, headers=location)


def show_provider(req: ApiRequest, v: Version) -> Any:
    provider = svc(req).providers.get(req.path_params["uuid"])
    return reply(render_provider(req, provider, v), v, modified=_modified(provider))


def update_provider(req: ApiRequest, v: Version) -> Any:
    uuid = req.path_params["uuid"]
    provider = svc(req).providers.get(uuid)
    data = extract_json(req, bodies.PUT_PROVIDER_1_14 if v.matches("1.14")
                        else bodies.PUT_PROVIDER)
    provider = svc(req).providers.update(
        provider.uuid, name=data.get("name"),
        parent_uuid=data.get("parent_provider_uuid", UNSET),
        allow_reparenting=v.matches("1.37"))
    return reply(render_provider(req, provider, v), v, modified=_modified(provider))


def delete_provider(req: ApiRequest, v: Version) -> Any:
    svc(req).providers.delete(req.path_params["uuid"])
    return empty(204, v)


def list_providers(req: ApiRequest, v: Version) -> Any:
    params = validate_query(req, bodies.list_providers_query((v.major, v.minor)))
    f = ProviderFilter(uuid=params.get("uuid"), name=params.get("name"),
                       in_tree=params.get("in_tree"))
    if "member_of" in params:
        f.member_of, f.forbidden_aggs = member_of_params(req.query, v)
    if "required" in params:
        f.required, f.forbidden = traits_params(req.query, v)
    if "resources" in params:
        f.resources = parse_resources(params["resources"])
    providers = filter_providers(svc(req).db, f)
    return reply({"resource_providers": [render_provider(req, p, v) for p in providers]}, v,
                 modified=latest(*(_modified(p) for p in providers)))


# -- provider traits -------------------------------------------------------------------------
def list_provider_traits(req: ApiRequest, v: Version) -> Any:
    uuid = req.path_params["uuid"]
    try:
        provider, traits = svc(req).providers.traits(uuid)
    except ProviderNotFound as err:
        raise PlacementNotFound(f"No resource provider with uuid {uuid} found: "
                                f"{err.message}") from None
    return reply({"traits": traits, "resource_provider_generation": provider.generation}, v,
                 modified=None)


def update_provider_traits(req: ApiRequest, v: Version) -> Any:
    uuid = req.path_params["uuid"]
    svc(req).providers.get(uuid)
    data = extract_json(req, bodies.PROVIDER_TRAITS)
    provider, traits = svc(req).providers.set_traits(uuid, data["traits"],
                                                     data["resource_provider_generation"])
    return reply({"traits": traits, "resource_provider_generation": provider.generation}, v,
                 modified=None)


def delete_provider_traits(req: ApiRequest, v: Version) -> Any:
    uuid = req.path_params["uuid"]
    try:
        svc(req).providers.delete_traits(uuid)
    except ProviderNotFound as err:
        raise PlacementNotFound(f"No resource provider with uuid {uuid} found: "
                                f"{err.message}") from None
    return empty(204, v)


# -- aggregates ------------------------------------------------------------------------------
def _render_aggregates(provider: Provider, aggs: list[str], v: Version) -> Any:
    body: dict[str, Any] = {"aggregates": aggs}
    if v.matches("1.19"):
        body["resource_provider_generation"] = provider.generation
    return reply(body, v, modified=None)


def list_aggregates(req: ApiRequest, v: Version) -> Any:
    provider, aggs = svc(req).providers.aggregates(req.path_params["uuid"])
    return _render_aggregates(provider, aggs, v)


def update_aggregates(req: ApiRequest, v: Version) -> Any:
    uuid = req.path_params["uuid"]
    svc(req).providers.get(uuid)
    with_generation = v.matches("1.19")
    data = extract_json(req, bodies.PUT_AGGREGATES_1_19 if with_generation
                        else bodies.AGGREGATE_LIST)
    aggs = data["aggregates"] if with_generation else data
    generation = data["resource_provider_generation"] if with_generation else None
    try:
        provider, aggs = svc(req).providers.set_aggregates(uuid, aggs, generation,
                                                           bump=with_generation)
    except ConcurrentUpdate as err:
        if err.message == GENERATION_CHANGED:
            raise
        raise ConcurrentUpdate(f"Update conflict: {err.message}") from None
    return _render_aggregates(provider, aggs, v)

