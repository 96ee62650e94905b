"""Metadata definitions: the JSON schemas /v2/schemas/metadefs/* publishes, and request bodies
checked against them as Glance checks them (jsonschema first, then its model's field types).
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

import jsonschema

from nimbus.services.image.errors import BadRequest, ReadOnlyAttribute

NAME_MAX = 80
PROPERTY_TYPES = ["array", "boolean", "integer", "number", "object", "string", None]
# The fields of a property definition Glance's model keeps (unknown ones are refused).
PROPERTY_FIELDS = ("name", "type", "title", "description", "operators", "default", "readonly",
                   "minimum", "maximum", "enum", "pattern", "minLength", "maxLength",
                   "confidential", "items", "uniqueItems", "minItems", "maxItems",
                   "additionalItems")
STAMPS_READ_ONLY = ("created_at", "updated_at")
LINKED_READ_ONLY = ("self", "schema", "created_at", "updated_at")


def _string(description: str | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "string", **extra}
    if description:
        doc["description"] = description
    return doc


def _stamp(what: str) -> dict[str, Any]:
    return _string(what, readOnly=True, format="date-time")


def _stamps(kind: str) -> dict[str, Any]:
    return {"created_at": _stamp(f"When the {kind} was created"),
            "updated_at": _stamp(f"When the {kind} last changed")}


LINKS = {"schema": {"readOnly": True, "type": "string"},
         "self": {"readOnly": True, "type": "string"}}
STRING_ARRAY = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}


def _property_fields() -> dict[str, Any]:
    """What one property definition may hold: a JSON-schema-like description of a value."""
    return {
        "name": _string(maxLength=NAME_MAX),
        "title": _string(),
        "description": _string(),
        "operators": {"type": "array", "items": {"type": "string"}},
        "type": _string(enum=PROPERTY_TYPES),
        "required": {"$ref": "#/definitions/stringArray"},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "maxLength": {"$ref": "#/definitions/positiveInteger"},
        "minLength": {"$ref": "#/definitions/positiveIntegerDefault0"},
        "pattern": _string(format="regex"),
        "enum": {"type": "array"},
        "readonly": {"type": "boolean"},
        "default": {},
        "items": {"type": "object", "properties": {
            "type": _string(enum=PROPERTY_TYPES), "enum": {"type": "array"}}},
        "maxItems": {"$ref": "#/definitions/positiveInteger"},
        "minItems": {"$ref": "#/definitions/positiveIntegerDefault0"},
        "uniqueItems": {"type": "boolean", "default": False},
        "additionalItems": {"type": "boolean"},
    }


def _definitions(*, string_array_min: int | None = None) -> dict[str, Any]:
    string_array = dict(STRING_ARRAY)
    if string_array_min is not None:
        string_array["minItems"] = string_array_min
    return {
        "positiveInteger": {"type": "integer", "minimum": 0},
        "positiveIntegerDefault0": {"allOf": [{"$ref": "#/definitions/positiveInteger"},
                                              {"default": 0}]},
        "stringArray": string_array,
    }


def _namespace_definitions() -> dict[str, Any]:
    return {**_definitions(), "property": {
        "type": "object",
        "additionalProperties": {"type": "object", "required": ["title", "type"],
                                 "properties": _property_fields()}}}


def _document(name: str, properties: dict[str, Any], required: list[str],
              definitions: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": name, "properties": properties,
                           "additionalProperties": False}
    if definitions:
        doc["definitions"] = definitions
    if required:
        doc["required"] = required
    return doc


def _collection(name: str, item: dict[str, Any], *, by_name: bool = False
                ) -> dict[str, Any]:
    """A list (or, for properties, a name -> item map) of ``item``, with paging links."""
    item = copy.deepcopy(item)
    definitions = item.pop("definitions", None)
    members = ({"type": "object", "additionalProperties": item} if by_name
               else {"type": "array", "items": item})
    doc: dict[str, Any] = {
        "name": name,
        "properties": {name: members, "first": {"type": "string"},
                       "next": {"type": "string"}, "schema": {"type": "string"}},
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }
    if definitions:
        doc["definitions"] = definitions
    return doc


def _association_fields() -> dict[str, Any]:
    return {"name": _string("The resource type, named as Heat names resource types",
                            maxLength=NAME_MAX),
            "prefix": _string("Put before every property name of the namespace when its "
                              "properties apply to this resource type (e.g. 'hw:')",
                              maxLength=NAME_MAX),
            "properties_target": _string("Which of the resource's key/value sets the "
                                         "properties go to, where it has several",
                                         maxLength=NAME_MAX)}


@lru_cache(maxsize=1)
def namespace_schema() -> dict[str, Any]:
    named = {"type": "object", "properties": {"name": {"type": "string"}}}
    properties = {
        "namespace": _string("The namespace's unique name", maxLength=NAME_MAX),
        "display_name": _string("A friendly name for user interfaces", maxLength=NAME_MAX),
        "description": _string("What the namespace is about", maxLength=500),
        "visibility": _string("Who can see the namespace", enum=["public", "private"]),
        "protected": {"type": "boolean",
                      "description": "A protected namespace cannot be deleted"},
        "owner": _string("The project that owns the namespace", maxLength=255),
        **_stamps("namespace"), **LINKS,
        "resource_type_associations": {"type": "array", "items": {
            "type": "object", "properties": {k: {"type": "string"}
                                             for k in ("name", "prefix", "properties_target")}}},
        "properties": {"$ref": "#/definitions/property"},
        "objects": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "description": {"type": "string"},
            "required": {"$ref": "#/definitions/stringArray"},
            "properties": {"$ref": "#/definitions/property"}}}},
        "tags": {"type": "array", "items": named},
    }
    return _document("namespace", properties, ["namespace"], _namespace_definitions())


@lru_cache(maxsize=1)
def object_schema() -> dict[str, Any]:
    properties = {"name": _string(maxLength=NAME_MAX), "description": _string(),
                  "required": {"$ref": "#/definitions/stringArray"},
                  "properties": {"$ref": "#/definitions/property"}, **LINKS,
                  **_stamps("object")}
    return _document("object", properties, ["name"], _namespace_definitions())


@lru_cache(maxsize=2)
def property_schema(*, require_name: bool = True) -> dict[str, Any]:
    required = ["type", "title", "name"] if require_name else ["type", "title"]
    return _document("property", _property_fields(), required,
                     _definitions(string_array_min=1))


@lru_cache(maxsize=1)
def resource_type_schema() -> dict[str, Any]:
    return _document("resource_type_association",
                     {**_association_fields(), **_stamps("association")}, ["name"])


@lru_cache(maxsize=1)
def tag_schema() -> dict[str, Any]:
    return _document("tag", {"name": _string(maxLength=NAME_MAX), **_stamps("tag")},
                     ["name"])


@lru_cache(maxsize=1)
def tags_body_schema() -> dict[str, Any]:
    item = {"type": "object", "properties": {"name": {"type": "string"}},
            "required": ["name"], "additionalProperties": False}
    return _document("tags", {"tags": {"type": "array", "items": item}}, [])


def collection_schemas() -> dict[str, dict[str, Any]]:
    """Every published schema, by the last part of its path under /v2/schemas/metadefs/."""
    properties_item = copy.deepcopy(property_schema())
    properties_item["required"].remove("name")
    return {
        "namespace": namespace_schema(),
        "namespaces": _collection("namespaces", namespace_schema()),
        "object": object_schema(),
        "objects": _collection("objects", object_schema()),
        "property": property_schema(),
        "properties": _collection("properties", properties_item, by_name=True),
        "resource_type": resource_type_schema(),
        "resource_types": _collection("resource_type_associations", resource_type_schema()),
        "tag": tag_schema(),
        "tags": _collection("tags", tag_schema()),
    }


# -- request bodies ------------------------------------------------------------------------
def _validate(schema: dict[str, Any], doc: Any) -> None:
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as err:
        where = "/".join(str(p) for p in err.absolute_path)
        reason = f"{err.message}" + (f" (at {where})" if where else "")
        raise BadRequest(f"Provided object does not match schema '{schema['name']}': "
                         f"{reason}") from None


def _body(doc: Any, read_only: tuple[str, ...]) -> dict[str, Any]:
    if doc is None:
        raise BadRequest("Body expected in request.")
    if not isinstance(doc, dict):
        raise BadRequest("The request body must be a JSON object.")
    for key in read_only:
        if key in doc:
            raise ReadOnlyAttribute(key)
    return doc


def clean_property(name: str, definition: Any) -> dict[str, Any]:
    """A property definition as stored: only the fields Glance's model keeps, of its types."""
    if not isinstance(definition, dict):
        raise BadRequest(f"Property {name} must be an object.")
    unknown = sorted(set(definition) - set(PROPERTY_FIELDS))
    if unknown:
        raise BadRequest(f"Unknown attribute for property {name}: {', '.join(unknown)}")
    for key in ("type", "title"):
        if not isinstance(definition.get(key), str):
            raise BadRequest(f"Property {name}: '{key}' is a mandatory string.")
    if any(not isinstance(v, str) for v in definition.get("enum") or []):
        raise BadRequest(f"Property {name}: every 'enum' value must be a string.")
    items = definition.get("items")
    if items is not None and (not isinstance(items, dict) or set(items) - {"type", "enum"}
                              or not isinstance(items.get("type"), str)):
        raise BadRequest(f"Property {name}: 'items' takes a 'type' and an 'enum'.")
    if "pattern" in definition:
        try:
            re.compile(str(definition["pattern"]))
        except re.error as err:
            raise BadRequest(f"Property {name}: 'pattern' is not a regular expression: "
                             f"{err}") from None
    return {k: v for k, v in definition.items() if k != "name" and v is not None}


def clean_properties(properties: Any) -> dict[str, dict[str, Any]]:
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise BadRequest("'properties' must be an object of property definitions.")
    for name in properties:
        if not name or len(name) > NAME_MAX:
            raise BadRequest(f"Property names have 1 to {NAME_MAX} characters.")
    return {name: clean_property(name, d) for name, d in properties.items()}


def parse_namespace(doc: Any) -> dict[str, Any]:
    """A namespace body for create or update; its contents are checked too."""
    body = _body(doc, LINKED_READ_ONLY)
    _validate(namespace_schema(), body)
    parsed: dict[str, Any] = {k: body.get(k) for k in (
        "namespace", "display_name", "description", "visibility", "protected", "owner")}
    parsed["properties"] = clean_properties(body.get("properties"))
    parsed["objects"] = [_parse_object_entry(o) for o in body.get("objects") or []]
    parsed["resource_type_associations"] = [
        parse_association(a) for a in body.get("resource_type_associations") or []]
    parsed["tags"] = [_tag_name(t) for t in body.get("tags") or []]
    return parsed


def _parse_object_entry(entry: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(entry.get("name"), str):
        raise BadRequest("Every object needs a 'name'.")
    _validate(object_schema(), {k: v for k, v in entry.items() if k in
                                object_schema()["properties"]})
    return _object_fields(entry)


def _object_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {"name": body["name"], "description": body.get("description"),
            "required": body.get("required"),
            "properties": clean_properties(body.get("properties"))}


def _tag_name(entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(name, str):
        raise BadRequest("Every tag needs a 'name'.")
    check_tag_name(name)
    return name


def check_tag_name(name: str) -> None:
    _validate(tag_schema(), {"name": name})


def parse_object(doc: Any) -> dict[str, Any]:
    body = _body(doc, LINKED_READ_ONLY)
    _validate(object_schema(), body)
    for definition in (body.get("properties") or {}).values():
        _validate(property_schema(require_name=False), definition)
    return _object_fields(body)


def parse_property(doc: Any) -> tuple[str, dict[str, Any]]:
    """(name, definition) from a property body."""
    body = _body(doc, STAMPS_READ_ONLY)
    _validate(property_schema(), body)
    return body["name"], clean_property(body["name"], body)


def parse_association(doc: Any) -> dict[str, Any]:
    body = _body(doc, STAMPS_READ_ONLY)
    _validate(resource_type_schema(), body)
    return {"name": body["name"], "prefix": body.get("prefix"),
            "properties_target": body.get("properties_target")}


def parse_tag(doc: Any) -> str:
    body = _body(doc, STAMPS_READ_ONLY)
    _validate(tag_schema(), body)
    return str(body["name"])


def parse_tags(doc: Any) -> list[str]:
    body = _body(doc, STAMPS_READ_ONLY)
    _validate(tags_body_schema(), body)
    return [_tag_name(t) for t in body.get("tags") or []]
