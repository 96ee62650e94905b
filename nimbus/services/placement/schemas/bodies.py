"""JSON schemas of Placement's request bodies, per microversion (placement/schemas/)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from nimbus.services.placement.service.types import MAX_INT, SQL_SP_FLOAT_MAX

UUID_PATTERN = "^[0-9a-fA-F-]{36}$"
RC_PATTERN = "^[A-Z0-9_]+$"
CUSTOM_PATTERN = "^CUSTOM_[A-Z0-9_]+$"
CONSUMER_TYPE_PATTERN = RC_PATTERN
GROUP_PAT = r"[1-9][0-9]*"
GROUP_PAT_1_33 = r"[a-zA-Z0-9_-]{1,64}"
Schema = dict[str, Any]


def is_uuid(value: str) -> bool:
    """As oslo's is_uuid_like: anything uuid.UUID() reads."""
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def _obj(props: Schema, required: list[str], **extra: Any) -> Schema:
    return {"type": "object", "properties": props, "required": required,
            "additionalProperties": False, **extra}


UUID = {"type": "string", "format": "uuid"}
NULLABLE_UUID = {"anyOf": [UUID, {"type": "null"}]}

# -- resource providers ----------------------------------------------------------------------
POST_PROVIDER = _obj({"name": {"type": "string", "maxLength": 200}, "uuid": UUID}, ["name"])
PUT_PROVIDER = _obj({"name": {"type": "string", "maxLength": 200}}, ["name"])
POST_PROVIDER_1_14 = _obj({**POST_PROVIDER["properties"],
                           "parent_provider_uuid": NULLABLE_UUID}, ["name"])
PUT_PROVIDER_1_14 = _obj({**PUT_PROVIDER["properties"],
                          "parent_provider_uuid": NULLABLE_UUID}, ["name"])


def list_providers_query(version: tuple[int, int]) -> Schema:
    props: Schema = {"name": {"type": "string"}, "uuid": UUID}
    if version >= (1, 3):
        props["member_of"] = {"type": "string"}
    if version >= (1, 4):
        props["resources"] = {"type": "string"}
    if version >= (1, 14):
        props["in_tree"] = UUID
    if version >= (1, 18):
        props["required"] = {"type": "string"}
    return {"type": "object", "properties": props, "additionalProperties": False}


# -- inventories -----------------------------------------------------------------------------
def _int(minimum: int) -> Schema:
    return {"type": "integer", "maximum": MAX_INT, "minimum": minimum}


BASE_INVENTORY = _obj({
    "resource_provider_generation": {"type": "integer"},
    "total": _int(1), "reserved": _int(0), "min_unit": _int(1), "max_unit": _int(1),
    "step_size": _int(1),
    "allocation_ratio": {"type": "number", "maximum": SQL_SP_FLOAT_MAX},
}, ["total", "resource_provider_generation"])
POST_INVENTORY = copy.deepcopy(BASE_INVENTORY)
POST_INVENTORY["properties"]["resource_class"] = {"type": "string", "pattern": RC_PATTERN}
POST_INVENTORY["required"] = ["total", "resource_class"]
INVENTORY_RECORD = copy.deepcopy(BASE_INVENTORY)
INVENTORY_RECORD["required"] = ["total"]
PUT_INVENTORIES = _obj({
    "resource_provider_generation": {"type": "integer"},
    "inventories": {"type": "object", "patternProperties": {RC_PATTERN: INVENTORY_RECORD}},
}, ["resource_provider_generation", "inventories"])

# -- resource classes and traits ---------------------------------------------------------
RESOURCE_CLASS = _obj({"name": {"type": "string", "pattern": CUSTOM_PATTERN,
                                "maxLength": 255}}, ["name"])
TRAIT = {"type": "string", "minLength": 1, "maxLength": 255}
CUSTOM_TRAIT = {**TRAIT, "pattern": CUSTOM_PATTERN}
PROVIDER_TRAITS = _obj({"traits": {"type": "array", "items": TRAIT},
                        "resource_provider_generation": {"type": "integer"}},
                       ["traits", "resource_provider_generation"])
LIST_TRAITS_QUERY = {"type": "object", "properties": {"name": {"type": "string"},
                                                      "associated": {"type": "string"}},
                     "additionalProperties": False}

# -- aggregates --------------------------------------------------------------------------
AGGREGATE_LIST = {"type": "array", "items": UUID, "uniqueItems": True}
PUT_AGGREGATES_1_19 = _obj({"aggregates": AGGREGATE_LIST,
                            "resource_provider_generation": {"type": "integer"}},
                           ["aggregates", "resource_provider_generation"])

# -- usages ------------------------------------------------------------------------------
_ID = {"type": "string", "minLength": 1, "maxLength": 255}
USAGES_QUERY = _obj({"project_id": _ID, "user_id": _ID}, ["project_id"])
USAGES_QUERY_1_38 = _obj({**USAGES_QUERY["properties"], "consumer_type": {
    "type": "string", "pattern": f"{CONSUMER_TYPE_PATTERN}|^all|^unknown$",
    "minLength": 1, "maxLength": 255}}, ["project_id"])

# -- allocations ------------------------------------------------------------------------
_RESOURCES = {"type": "object", "minProperties": 1, "additionalProperties": False,
              "patternProperties": {RC_PATTERN: {"type": "integer", "minimum": 1}}}
ALLOCATION_1_0 = _obj({"allocations": {"type": "array", "minItems": 1, "items": _obj({
    "resource_provider": _obj({"uuid": UUID}, ["uuid"]),
    "resources": _RESOURCES}, ["resource_provider", "resources"])}}, ["allocations"])
ALLOCATION_1_8 = copy.deepcopy(ALLOCATION_1_0)
ALLOCATION_1_8["properties"].update({"project_id": _ID, "user_id": _ID})
ALLOCATION_1_8["required"] += ["project_id", "user_id"]
ALLOCATION_1_12 = _obj({
    "allocations": {"type": "object", "minProperties": 1, "additionalProperties": False,
                    "patternProperties": {UUID_PATTERN: _obj({
                        "generation": {"type": "integer"}, "resources": _RESOURCES},
                        ["resources"])}},
    "project_id": _ID, "user_id": _ID}, ["allocations", "project_id", "user_id"])
DELETABLE_ALLOCATIONS = copy.deepcopy(ALLOCATION_1_12)
DELETABLE_ALLOCATIONS["properties"]["allocations"]["minProperties"] = 0
_CONSUMER_GENERATION = {"type": ["integer", "null"], "additionalProperties": False}
ALLOCATION_1_28 = copy.deepcopy(DELETABLE_ALLOCATIONS)
ALLOCATION_1_28["properties"]["consumer_generation"] = _CONSUMER_GENERATION
ALLOCATION_1_28["required"].append("consumer_generation")
MAPPINGS = {"type": "object", "minProperties": 1, "patternProperties": {
    GROUP_PAT_1_33: {"type": "array", "minItems": 1, "items": UUID}}}
ALLOCATION_1_34 = copy.deepcopy(ALLOCATION_1_28)
ALLOCATION_1_34["properties"]["mappings"] = MAPPINGS
ALLOCATION_1_38 = copy.deepcopy(ALLOCATION_1_34)
ALLOCATION_1_38["properties"]["consumer_type"] = {
    "type": "string", "pattern": CONSUMER_TYPE_PATTERN, "minLength": 1, "maxLength": 255}
ALLOCATION_1_38["required"].append("consumer_type")


def _many(one: Schema, min_properties: int = 1) -> Schema:
    return {"type": "object", "minProperties": min_properties, "additionalProperties": False,
            "patternProperties": {UUID_PATTERN: one}}


POST_ALLOCATIONS_1_13 = _many(DELETABLE_ALLOCATIONS)
POST_ALLOCATIONS_1_28 = _many(ALLOCATION_1_28)
POST_ALLOCATIONS_1_34 = _many(ALLOCATION_1_34)
POST_ALLOCATIONS_1_38 = _many(ALLOCATION_1_38)


def put_allocation_schema(version: tuple[int, int]) -> Schema:
    for low, schema in (((1, 38), ALLOCATION_1_38), ((1, 34), ALLOCATION_1_34),
                        ((1, 28), ALLOCATION_1_28), ((1, 12), ALLOCATION_1_12),
                        ((1, 8), ALLOCATION_1_8)):
        if version >= low:
            return schema
    return ALLOCATION_1_0


def post_allocations_schema(version: tuple[int, int], min_properties: int = 1) -> Schema:
    for low, one in (((1, 38), ALLOCATION_1_38), ((1, 34), ALLOCATION_1_34),
                     ((1, 28), ALLOCATION_1_28)):
        if version >= low:
            return _many(one, min_properties)
    return _many(DELETABLE_ALLOCATIONS, min_properties)


def reshaper_schema(version: tuple[int, int]) -> Schema:
    return _obj({
        "inventories": {"type": "object", "minProperties": 1, "additionalProperties": False,
                        "patternProperties": {UUID_PATTERN: PUT_INVENTORIES}},
        "allocations": post_allocations_schema(max(version, (1, 28)), 0),
    }, ["inventories", "allocations"])


# -- allocation candidates -----------------------------------------------------------------
def candidates_query(version: tuple[int, int]) -> Schema:
    props: Schema = {"resources": {"type": "string"}}
    if version >= (1, 16):
        props["limit"] = {"type": ["integer", "string"], "pattern": "^[1-9][0-9]*$",
                          "minimum": 1, "minLength": 1}
    if version >= (1, 17):
        props["required"] = {"type": ["string"]}
    if version >= (1, 21):
        props["member_of"] = {"type": ["string"]}
    if version < (1, 25):
        return {"type": "object", "properties": props, "required": ["resources"],
                "additionalProperties": False}
    del props["resources"], props["required"], props["member_of"]
    props["group_policy"] = {"type": "string", "enum": ["none", "isolate"]}
    kinds = ["resources", "required", "member_of"]
    if version >= (1, 31):
        kinds.append("in_tree")
    suffix = GROUP_PAT_1_33 if version >= (1, 33) else GROUP_PAT
    if version >= (1, 35):
        props["root_required"] = {"type": ["string"]}
    if version >= (1, 36):
        props["same_subtree"] = {"type": ["string"]}
    return {"type": "object", "properties": props, "additionalProperties": False,
            "patternProperties": {f"^{kind}({suffix})?$": {"type": "string"}
                                  for kind in kinds}}
