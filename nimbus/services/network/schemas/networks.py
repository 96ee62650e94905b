"""The network resource (Neutron's core attributes plus provider, external-net, mtu,
port-security, availability zones, dns, qos and multi-provider extensions)."""

from __future__ import annotations

from typing import Any

from nimbus.services.network.errors import InvalidInput
from nimbus.services.network.schemas.attrs import (
    Attr,
    ResourceDef,
    boolean,
    filter_bool,
    filter_int,
    integer,
    list_of,
    one_of,
    standard_attrs,
    string,
    uuid_or_none,
)

NETWORK_TYPES = ("flat", "vlan", "vxlan", "local")


def segments_value(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise InvalidInput(f"'{value}' is not a list of segments")
    out = []
    for seg in value:
        if not isinstance(seg, dict):
            raise InvalidInput(f"'{seg}' is not a dictionary")
        unknown = set(seg) - {"provider:network_type", "provider:physical_network",
                              "provider:segmentation_id"}
        if unknown:
            raise InvalidInput(f"Unrecognized attribute(s) '{', '.join(sorted(unknown))}'")
        out.append({
            "provider:network_type": one_of(*NETWORK_TYPES)(seg.get("provider:network_type")),
            "provider:physical_network": string(64, nullable=True)(
                seg.get("provider:physical_network")),
            "provider:segmentation_id": integer(0, 16777215, nullable=True)(
                seg.get("provider:segmentation_id")),
        })
    return out


NETWORK = ResourceDef("network", "networks", "Network", (
    *standard_attrs(),
    Attr("admin_state_up", boolean, put=True, default=True, convert_filter=filter_bool),
    Attr("status", post=False, default=None),
    Attr("subnets", post=False, default=None, filter=False, sort=False),
    Attr("shared", boolean, put=True, default=False, policy=True,
         convert_filter=filter_bool, sort=False),
    Attr("router:external", boolean, put=True, default=False, policy=True,
         convert_filter=filter_bool, sort=False),
    Attr("is_default", boolean, put=True, default=False, policy=True,
         convert_filter=filter_bool),
    Attr("provider:network_type", one_of(*NETWORK_TYPES, nullable=True), default=None,
         policy=True, sort=False),
    Attr("provider:physical_network", string(64, nullable=True), default=None,
         policy=True, sort=False),
    Attr("provider:segmentation_id", integer(0, 16777215, nullable=True), default=None,
         policy=True, convert_filter=filter_int, sort=False),
    Attr("segments", segments_value, default=None, policy=True, filter=False, sort=False),
    Attr("mtu", integer(68), put=True, default=None, convert_filter=filter_int),
    Attr("port_security_enabled", boolean, put=True, default=True,
         convert_filter=filter_bool),
    Attr("availability_zone_hints", list_of(string(255)), default=[], filter=False,
         sort=False),
    Attr("availability_zones", post=False, default=None, filter=False, sort=False),
    Attr("dns_domain", string(255), put=True, default=""),
    Attr("qos_policy_id", uuid_or_none, put=True, default=None),
    Attr("ipv4_address_scope", post=False, default=None, sort=False),
    Attr("ipv6_address_scope", post=False, default=None, sort=False),
    Attr("l2_adjacency", post=False, default=None, filter=False, sort=False),
    Attr("vlan_transparent", boolean, default=None, convert_filter=filter_bool,
         sort=False),
), service="networks")
