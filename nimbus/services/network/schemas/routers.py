"""The L3 resources: routers (router, ext-gw-mode, extraroute, l3-ha, dvr, router
availability zones), floating IPs (fip-port-details, expose-port-forwarding-in-fip) and
their port forwardings (floating-ip-port-forwarding with description and port ranges)."""

from __future__ import annotations

from typing import Any

from nimbus.services.network.errors import InvalidInput
from nimbus.services.network.schemas.attrs import (
    REQUIRED,
    Attr,
    ResourceDef,
    boolean,
    cidr,
    filter_bool,
    filter_int,
    integer,
    ip_address,
    list_of,
    one_of,
    standard_attrs,
    string,
    uuid_or_none,
    uuid_str,
)
from nimbus.services.network.schemas.ports import fixed_ips_value

GATEWAY_KEYS = ("network_id", "enable_snat", "external_fixed_ips")
PF_PROTOCOLS = ("tcp", "udp")


def _keys_failed(expected: set[str], given: dict[str, Any]) -> InvalidInput:
    return InvalidInput(f"Validation of dictionary's keys failed. Expected keys: "
                        f"{expected} Provided keys: {set(given)}")


def gateway_info_value(value: Any) -> dict[str, Any] | None:
    """``external_gateway_info``: None or {} (no gateway), else network_id and options."""
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"'{value}' is not a dictionary")
    unexpected = sorted(set(value) - set(GATEWAY_KEYS))
    if unexpected:
        raise InvalidInput(f"Unexpected keys supplied: {', '.join(unexpected)}")
    if "network_id" not in value:
        raise _keys_failed({"network_id"}, value)
    out: dict[str, Any] = {"network_id": uuid_str(value["network_id"])}
    if "enable_snat" in value:
        out["enable_snat"] = boolean(value["enable_snat"])
    if value.get("external_fixed_ips") is not None:
        out["external_fixed_ips"] = fixed_ips_value(value["external_fixed_ips"])
    return out


def routes_value(value: Any) -> list[dict[str, str]]:
    """Neutron's ``type:hostroutes``: [{destination, nexthop}], no duplicates."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"Invalid data format for hostroute: '{value}'")
    out: list[dict[str, str]] = []
    for route in value:
        if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
            raise _keys_failed({"destination", "nexthop"},
                               route if isinstance(route, dict) else {})
        entry = {"destination": cidr(route["destination"]),
                 "nexthop": ip_address()(route["nexthop"])}
        if entry in out:
            raise InvalidInput(f"Duplicate hostroute '{route}'")
        out.append(entry)
    return out


def boolean_or_none(value: Any) -> bool | None:
    return None if value is None else boolean(value)


ROUTER = ResourceDef("router", "routers", "Router", (
    *standard_attrs(),
    Attr("admin_state_up", boolean, put=True, default=True, convert_filter=filter_bool),
    Attr("status", post=False, default=None),
    Attr("external_gateway_info", gateway_info_value, put=True, default=None, policy=True,
         filter=False, sort=False),
    Attr("routes", routes_value, post=False, put=True, default=None, filter=False,
         sort=False),
    Attr("ha", boolean_or_none, put=True, default=None, policy=True, filter=False,
         sort=False),
    Attr("distributed", boolean_or_none, put=True, default=None, policy=True, filter=False,
         sort=False),
    Attr("availability_zone_hints", list_of(string(255)), default=[], filter=False,
         sort=False),
    Attr("availability_zones", post=False, default=None, filter=False, sort=False),
    Attr("flavor_id", uuid_or_none, default=None, sort=False),
), service="routers")


FLOATINGIP = ResourceDef("floatingip", "floatingips", "FloatingIP", (
    *standard_attrs(name=False),
    Attr("floating_ip_address", ip_address(nullable=True), default=None, policy=True),
    Attr("subnet_id", uuid_or_none, default=None, visible=False, filter=False, sort=False),
    Attr("floating_network_id", uuid_str, default=REQUIRED),
    Attr("router_id", post=False, default=None),
    Attr("port_id", uuid_or_none, put=True, default=None, sort=False),
    Attr("fixed_ip_address", ip_address(nullable=True), put=True, default=None),
    Attr("status", post=False, default=None),
    Attr("port_details", post=False, default=None, filter=False, sort=False),
    Attr("port_forwardings", post=False, default=None, filter=False, sort=False),
    # dns-integration: the name a DNS service would publish the address under.
    Attr("dns_name", string(255), default="", sort=False),
    Attr("dns_domain", string(255), default="", sort=False),
), service="floatingips")


def port_range_value(value: Any) -> str | None:
    """``type:port_range``: "N" or "N:M", 1 <= N <= M <= 65535; returned as "N:M"."""
    if value is None:
        return None
    ports = str(value).split(":")
    if len(ports) > 2 or any(p == "" for p in ports):
        raise InvalidInput("Port range must be two integers separated by a colon")
    for p in ports:
        if not p.isdigit() or not 1 <= int(p) <= 65535:
            raise InvalidInput(f"Invalid port: {p}")
    if len(ports) > 1 and int(ports[0]) > int(ports[1]):
        raise InvalidInput("First port in a port range must be lower than the second port")
    return f"{int(ports[0])}:{int(ports[-1])}"


def protocol_value(value: Any) -> str:
    if isinstance(value, str):
        value = value.lower()
    return one_of(*PF_PROTOCOLS)(value)  # type: ignore[no-any-return]


PORT_FORWARDING = ResourceDef("port_forwarding", "port_forwardings", "PortForwarding", (
    Attr("id", uuid_str, post=False, default=None),
    Attr("project_id", string(255), default=None, visible=False, filter=False, sort=False),
    Attr("tenant_id", string(255), default=None, visible=False, filter=False, sort=False),
    Attr("external_port", integer(1, 65535, nullable=True), put=True, default=None,
         convert_filter=filter_int),
    # Filters the store refuses with Neutron's PortForwardingNotSupportFilterField.
    Attr("internal_port", integer(1, 65535, nullable=True), put=True, default=None,
         sort=False),
    Attr("internal_ip_address", ip_address(4), put=True, default=REQUIRED, sort=False),
    Attr("protocol", protocol_value, put=True, default=REQUIRED),
    Attr("internal_port_id", uuid_str, put=True, default=REQUIRED),
    Attr("description", string(255), put=True, default="", sort=False),
    Attr("external_port_range", port_range_value, put=True, default=None),
    Attr("internal_port_range", port_range_value, put=True, default=None, filter=False,
         sort=False),
), service="port_forwardings", standard=False, taggable=False)
