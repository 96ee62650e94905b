"""Metadef request bodies checked as Glance checks them, and the schemas it publishes."""

from __future__ import annotations

import jsonschema
import pytest

from nimbus.services.image.errors import BadRequest, ReadOnlyAttribute
from nimbus.services.image.schemas.metadefs import (
    collection_schemas,
    parse_association,
    parse_namespace,
    parse_object,
    parse_property,
    parse_tags,
)


def test_a_property_keeps_its_definition_without_its_name():
    name, definition = parse_property({"name": "cores", "type": "integer", "title": "Cores",
                                       "minimum": 1})
    assert name == "cores"
    assert definition == {"type": "integer", "title": "Cores", "minimum": 1}


def test_property_bodies_follow_the_published_schema():
    with pytest.raises(BadRequest, match="schema 'property'"):
        parse_property({"name": "p", "type": "string", "title": "P", "confidential": True})
    with pytest.raises(BadRequest):
        parse_property({"name": "p", "type": "string"})
    with pytest.raises(ReadOnlyAttribute):
        parse_property({"name": "p", "type": "string", "title": "P", "created_at": "x"})


def test_nested_definitions_keep_the_fields_of_glances_model():
    parsed = parse_namespace({"namespace": "N", "properties": {
        "secret": {"type": "string", "title": "S", "confidential": True}}})
    assert parsed["properties"]["secret"]["confidential"] is True
    with pytest.raises(BadRequest, match="Unknown attribute"):
        parse_namespace({"namespace": "N", "properties": {
            "p": {"type": "string", "title": "P", "colour": "red"}}})


def test_objects_associations_and_tags():
    fields = parse_object({"name": "o", "required": ["a"], "properties": {
        "a": {"type": "boolean", "title": "A"}}})
    assert fields["required"] == ["a"] and fields["properties"]["a"]["type"] == "boolean"
    with pytest.raises(BadRequest):
        parse_object({"name": "o", "required": ["a", "a"]})
    assert parse_association({"name": "OS::Nova::Flavor", "prefix": "hw:"})["prefix"] == "hw:"
    assert parse_tags({"tags": [{"name": "a"}, {"name": "b"}]}) == ["a", "b"]
    with pytest.raises(BadRequest):
        parse_tags({"tags": [{"name": "a", "extra": 1}]})


def test_published_schemas_are_valid_and_describe_what_is_served():
    schemas = collection_schemas()
    assert set(schemas) == {"namespace", "namespaces", "object", "objects", "property",
                            "properties", "resource_type", "resource_types", "tag", "tags"}
    for schema in schemas.values():
        jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.validate({"namespaces": [{"namespace": "N", "visibility": "public"}],
                         "first": "/v2/metadefs/namespaces",
                         "schema": "/v2/schemas/metadefs/namespaces"}, schemas["namespaces"])
    jsonschema.validate({"properties": {"p": {"type": "string", "title": "P"}}},
                        schemas["properties"])
    assert "definitions" not in schemas["namespaces"]["properties"]["namespaces"]["items"]
