"""Subnet pools and address scopes (Neutron's subnet_allocation, default-subnetpools and
address-scope extensions)."""

from __future__ import annotations

from typing import Any

from nimbus.services.network.errors import InvalidInput
from nimbus.services.network.schemas.attrs import (
    NAME_MAX,
    Attr,
    ResourceDef,
    boolean,
    filter_bool,
    filter_int,
    standard_attrs,
    string,
    uuid_or_none,
)
from nimbus.services.network.schemas.subnets import NOT_SET, ip_version, non_negative


def not_empty_name(value: Any) -> str:
    text: str = string(NAME_MAX)(value)
    if not text.strip():
        raise InvalidInput(f"'{value}' Blank strings are not permitted")
    return text


def subnet_text(value: Any) -> str:
    """neutron_lib's validate_subnet: an address with a prefix length (host bits allowed)."""
    import ipaddress

    if not isinstance(value, str) or "/" not in value or value != value.strip():
        raise InvalidInput(f"'{value}' is not a valid IP subnet")
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise InvalidInput(f"'{value}' is not a valid IP subnet") from None
    return value


def subnet_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise InvalidInput(f"'{value}' is not a list")
    if len(set(value)) != len(value):
        raise InvalidInput(f"Duplicate items in the list: '{', '.join(map(str, value))}'")
    return [subnet_text(v) for v in value]


def _named(name: Any) -> tuple[Attr, ...]:
    attrs = list(standard_attrs())
    attrs[1] = Attr("name", name, put=True) if name is not None else attrs[1]
    return tuple(attrs)


SUBNETPOOL = ResourceDef("subnetpool", "subnetpools", "SubnetPool", (
    *_named(not_empty_name),
    Attr("prefixes", subnet_list, put=True, filter=False, sort=False),
    Attr("default_quota", non_negative, put=True, default=NOT_SET, convert_filter=filter_int),
    Attr("ip_version", post=False, default=None, convert_filter=filter_int),
    Attr("default_prefixlen", non_negative, put=True, default=NOT_SET,
         convert_filter=filter_int),
    Attr("min_prefixlen", non_negative, put=True, default=NOT_SET, convert_filter=filter_int),
    Attr("max_prefixlen", non_negative, put=True, default=NOT_SET, convert_filter=filter_int),
    Attr("is_default", boolean, put=True, default=False, policy=True,
         convert_filter=filter_bool),
    Attr("shared", boolean, default=False, policy=True, convert_filter=filter_bool),
    Attr("address_scope_id", uuid_or_none, put=True, default=NOT_SET),
), service="subnetpools")

ADDRESS_SCOPE = ResourceDef("address_scope", "address_scopes", "AddressScope", (
    *(a for a in standard_attrs(description=False)
      if a.name not in ("created_at", "updated_at", "revision_number", "tags")),
    Attr("shared", boolean, put=True, default=False, policy=True, convert_filter=filter_bool),
    Attr("ip_version", ip_version, convert_filter=filter_int),
), service="address_scopes", taggable=False, path="address-scopes")


def prefix_list_body(value: Any) -> list[str]:
    """The body of add_prefixes / remove_prefixes: {"prefixes": [...]}."""
    if not isinstance(value, dict) or not isinstance(value.get("prefixes"), list):
        raise InvalidInput("Body must contain a 'prefixes' list")
    try:
        return subnet_list(value["prefixes"])
    except InvalidInput as e:
        detail = e.message.removeprefix("Invalid input for operation: ").rstrip(".")
        raise InvalidInput(f"Invalid input for prefixes. Reason: {detail}") from None
