"""Resource classes and traits (placement/handlers/resource_class.py, trait.py)."""

from __future__ import annotations

from typing import Any

import jsonschema

from nimbus.kernel.microversion import Version
from nimbus.kernel.web import ApiRequest
from nimbus.services.placement.api.common import empty, extract_json, reply, validate_query
from nimbus.services.placement.api.providers import svc
from nimbus.services.placement.errors import PlacementBadRequest, PlacementNotFound
from nimbus.services.placement.schemas import bodies

BAD_TRAIT = ('The trait is invalid. A valid trait must be no longer than 255 characters, '
             'start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" '
             'and "_"')


def _class_body(req: ApiRequest, name: str) -> dict[str, Any]:
    return {"name": name, "links": [{"rel": "self",
                                     "href": f"{req.api.prefix}/resource_classes/{name}"}]}


def list_classes(req: ApiRequest, v: Version) -> Any:
    classes = svc(req).catalog.list_resource_classes()
    return reply({"resource_classes": [_class_body(req, n) for n, _m in classes]}, v,
                 modified=None)


def show_class(req: ApiRequest, v: Version) -> Any:
    name, modified = svc(req).catalog.get_resource_class(req.path_params["name"])
    return reply(_class_body(req, name), v, modified=modified)  # type: ignore[arg-type]


def create_class(req: ApiRequest, v: Version) -> Any:
    data = extract_json(req, bodies.RESOURCE_CLASS)
    svc(req).catalog.create_resource_class(data["name"])
    return empty(201, v, headers={
        "location": f"{req.base_url}/resource_classes/{data['name']}"})


def rename_class(req: ApiRequest, v: Version) -> Any:
    """1.2 to 1.6: PUT renames a custom class."""
    data = extract_json(req, bodies.RESOURCE_CLASS)
    svc(req).catalog.rename_resource_class(req.path_params["name"], data["name"])
    return reply(_class_body(req, data["name"]), v)


def put_class(req: ApiRequest, v: Version) -> Any:
    """From 1.7: a bodiless create-or-check."""
    name = req.path_params["name"]
    try:
        jsonschema.validate({"name": name}, bodies.RESOURCE_CLASS)
    except jsonschema.ValidationError as exc:
        raise PlacementBadRequest(f"JSON does not validate: {exc}") from None
    created = svc(req).catalog.ensure_resource_class(name)
    return empty(201 if created else 204, v,
                 headers={"location": f"{req.base_url}/resource_classes/{name}"})


def delete_class(req: ApiRequest, v: Version) -> Any:
    svc(req).catalog.delete_resource_class(req.path_params["name"])
    return empty(204, v)


# -- traits ----------------------------------------------------------------------------------
def list_traits(req: ApiRequest, v: Version) -> Any:
    params = validate_query(req, bodies.LIST_TRAITS_QUERY)
    filters: dict[str, Any] = {}
    if "name" in params:
        op, sep, value = params["name"].partition(":")
        if not sep or op not in ("in", "startswith"):
            raise PlacementBadRequest(
                "Badly formatted name parameter. Expected name query string parameter in "
                f'form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "{params["name"]}"')
        filters["name_in" if op == "in" else "prefix"] = value.split(",") if op == "in" \
            else value
    if "associated" in params:
        if params["associated"].lower() not in ("true", "false"):
            raise PlacementBadRequest('The query parameter "associated" only accepts "true" '
                                      'or "false"')
        filters["associated"] = params["associated"].lower() == "true"
    return reply({"traits": svc(req).catalog.list_traits(**filters)}, v, modified=None)


def show_trait(req: ApiRequest, v: Version) -> Any:
    name = req.path_params["name"]
    if not svc(req).catalog.trait_exists(name):
        raise PlacementNotFound(f"No such trait(s): {name}.")
    return empty(204, v, cache=True, modified=True)


def put_trait(req: ApiRequest, v: Version) -> Any:
    name = req.path_params["name"]
    try:
        jsonschema.validate(name, bodies.CUSTOM_TRAIT)
    except jsonschema.ValidationError:
        raise PlacementBadRequest(BAD_TRAIT) from None
    created = svc(req).catalog.put_trait(name)
    headers = {"location": f"{req.base_url}/traits/{name}"}
    return empty(201 if created else 204, v, cache=True, modified=True, headers=headers)


def delete_trait(req: ApiRequest, v: Version) -> Any:
    svc(req).catalog.delete_trait(req.path_params["name"])
    return empty(204, v)


