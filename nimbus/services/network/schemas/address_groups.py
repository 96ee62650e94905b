"""Address groups (Neutron's address-group extension): named lists of CIDRs that security
group rules name as ``remote_address_group_id``."""

from __future__ import annotations

import ipaddress
from typing import Any

from nimbus.services.network.errors import InvalidInput
from nimbus.services.network.schemas.attrs import (
    Attr,
    ResourceDef,
    standard_attrs,
    string,
)

LONG_DESCRIPTION_MAX = 1024


def subnet_entry(value: Any) -> str:
    """neutron_lib's validate_subnet: a CIDR with its mask written; host bits allowed."""
    if not isinstance(value, str) or value != value.strip():
        raise InvalidInput(f"'{value}' is not a valid IP subnet")
    try:
        iface = ipaddress.ip_interface(value)
    except ValueError:
        raise InvalidInput(f"'{value}' is not a valid IP subnet") from None
    if "/" not in value or (iface.version == 4 and str(iface) != value):
        raise InvalidInput(f"'{value}' isn't a recognized IP subnet cidr, "
                           f"'{iface.network}' is recommended")
    return value


def subnet_list(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"'{value}' is not a list")
    out = [subnet_entry(v) for v in value]
    if len(set(out)) != len(out):
        dupes = sorted({v for v in out if out.count(v) > 1})
        raise InvalidInput(f"Duplicate items in the list: '{', '.join(dupes)}'")
    return out


def action_addresses(value: Any) -> set[str]:
    """What add_addresses / remove_addresses take: any addresses or networks (Neutron reads
    them with netaddr, no attribute check), normalised."""
    if not isinstance(value, list):
        raise InvalidInput(f"'{value}' is not a list")
    try:
        return {normalized(v if isinstance(v, str) else "") for v in value}
    except ValueError:
        raise InvalidInput(f"'{value}' is not a list of IP addresses or subnets") from None


def normalized(address: str) -> str:
    """What Neutron stores: the network and its prefix length (10.0.0.5/24 -> 10.0.0.0/24)."""
    return str(ipaddress.ip_interface(address).network)


ADDRESS_GROUP = ResourceDef("address_group", "address_groups", "AddressGroup", (
    *(a for a in standard_attrs() if a.name not in ("tags", "description")),
    Attr("description", string(LONG_DESCRIPTION_MAX), put=True, default=""),
    Attr("addresses", subnet_list, default=None, filter=False, sort=False),
    Attr("shared", post=False, default=False, visible=False, filter=False, sort=False),
), service="address_groups", path="address-groups", taggable=False)
