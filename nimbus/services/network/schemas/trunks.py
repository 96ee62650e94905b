"""The trunk resource (Neutron's trunk and trunk-details extensions)."""

from __future__ import annotations

from typing import Any

from nimbus.services.network.errors import InvalidInput
from nimbus.services.network.schemas.attrs import (
    Attr,
    ResourceDef,
    boolean,
    filter_bool,
    integer,
    standard_attrs,
    uuid_str,
)


def sub_ports_value(value: Any, *, need_segment: bool = True) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidInput(f"'{value}' is not a list")
    out = []
    for item in value:
        if not isinstance(item, dict) or "port_id" not in item:
            raise InvalidInput(f"A subport needs a port_id: '{item}'")
        unknown = set(item) - {"port_id", "segmentation_type", "segmentation_id"}
        if unknown:
            raise InvalidInput(f"Unrecognized attribute(s) '{', '.join(sorted(unknown))}'")
        entry: dict[str, Any] = {"port_id": uuid_str(item["port_id"])}
        if need_segment:
            kind = item.get("segmentation_type", "vlan")
            if kind != "vlan":
                raise InvalidInput(f"Invalid segmentation type {kind}")
            if "segmentation_id" not in item:
                raise InvalidInput("Invalid input for segmentation_id: a subport needs one")
            entry["segmentation_type"] = kind
            entry["segmentation_id"] = integer(1, 4094)(item["segmentation_id"])
        out.append(entry)
    return out


TRUNK = ResourceDef("trunk", "trunks", "Trunk", (
    *standard_attrs(),
    Attr("port_id", uuid_str),
    Attr("admin_state_up", boolean, put=True, default=True, convert_filter=filter_bool),
    Attr("status", post=False, default=None),
    Attr("sub_ports", sub_ports_value, default=[], filter=False, sort=False),
), service="trunks")
