"""The subnet resource (Neutron's core attributes plus the subnet_allocation,
default-subnetpools, segment, subnet-service-types, subnet-dns-publish-fixed-ip and
subnet-external-network extensions), with neutron_lib's validators for its lists."""

from __future__ import annotations

import ipaddress
from typing import Any

from nimbus.services.network.errors import InvalidInput
from nimbus.services.network.schemas.attrs import (
    Attr,
    ResourceDef,
    boolean,
    filter_bool,
    filter_int,
    integer,
    one_of,
    standard_attrs,
    uuid_or_none,
    uuid_str,
)


class _NotSet:
    """Neutron's ATTR_NOT_SPECIFIED: the attribute was not in the request."""

    def __repr__(self) -> str:
        return "NOT_SET"


NOT_SET: Any = _NotSet()
IPV6_MODES = ("dhcpv6-stateful", "dhcpv6-stateless", "slaac")


def _fail(detail: str) -> Any:
    raise InvalidInput(detail)


def ip_text(value: Any) -> str:
    """neutron_lib's validate_ip_address: a whole address, no leading zeros in IPv4."""
    if not isinstance(value, str) or value != value.strip():
        return _fail(f"'{value}' is not a valid IP address")
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return _fail(f"'{value}' is not a valid IP address")
    if ip.version == 4 and str(ip) != value:
        _fail(f"'{value}' is not an accepted IP address, '{ip}' is recommended")
    return str(ip) if ip.version == 6 else value


def ip_or_none(value: Any) -> str | None:
    return None if value is None else ip_text(value)


def subnet_cidr_or_none(value: Any) -> str | None:
    """A subnet in CIDR form; host bits are cleared as Neutron's canonical converter does."""
    if value is None:
        return None
    if not isinstance(value, str) or "/" not in value or value != value.strip():
        return _fail(f"'{value}' is not a valid IP subnet")
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return _fail(f"'{value}' is not a valid IP subnet")
    return str(net)


def subnet_cidr(value: Any) -> str:
    if value is None:
        _fail(f"'{value}' is not a valid IP subnet")
    return subnet_cidr_or_none(value)  # type: ignore[return-value]


def route_cidr(value: Any) -> str:
    msg = f"'{value}' is not a valid CIDR"
    if not isinstance(value, str) or "/" not in value:
        return _fail(msg)
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        return _fail(msg)
    if net.is_loopback:
        _fail(f"'{value}' is not a routable CIDR")
    return value


def _dict_with(keys: list[str], value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(f"Invalid input. '{value}' must be a dictionary with keys: {keys}")
    if not set(keys) <= set(value):
        _fail(f"Validation of dictionary's keys failed. Expected keys: {set(keys)} "
              f"Provided keys: {set(value)}")
    return value


def ip_pools(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        _fail(f"Invalid data format for IP pool: '{value}'")
    out = []
    for pool in value:
        _dict_with(["start", "end"], pool)
        out.append({"start": ip_text(pool["start"]), "end": ip_text(pool["end"])})
    return out


def nameservers(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        _fail(f"Invalid data format for nameserver: '{value}'")
    hosts: list[str] = []
    for host in value:
        try:
            ip_text(host)
        except InvalidInput as e:
            reason = e.message.removeprefix("Invalid input for operation: ").rstrip(".")
            _fail(f"'{host}' is not a valid nameserver. {reason}")
        if host in hosts:
            _fail(f"Duplicate nameserver '{host}'")
        hosts.append(host)
    return hosts


def hostroutes(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        _fail(f"Invalid data format for hostroute: '{value}'")
    routes: list[dict[str, str]] = []
    for route in value:
        _dict_with(["destination", "nexthop"], route)
        route_cidr(route["destination"])
        ip_text(route["nexthop"])
        if route in routes:
            _fail(f"Duplicate hostroute '{route}'")
        routes.append({"destination": route["destination"], "nexthop": route["nexthop"]})
    return routes


def ip_version(value: Any) -> int:
    try:
        number = int(value) if not isinstance(value, bool) else value
    except (TypeError, ValueError):
        return _fail(f"'{value}' is not an integer")
    if number not in (4, 6):
        _fail(f"'{number}' is not in [4, 6]")
    return int(number)


def service_types(value: Any) -> list[str]:
    if not isinstance(value, list):
        _fail(f"'{value}' is not a list")
    for item in value:
        if not isinstance(item, str) or not item:
            _fail(f"'{item}' is not a valid string")
        if not (item.startswith("network:") or item.startswith("compute:")):
            _fail(f"Subnet service type '{item}' is not valid")
    return list(value)


def non_negative(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return _fail(f"'{value}' is not an integer")
    if isinstance(value, bool) or (isinstance(value, float) and value != number):
        _fail(f"'{value}' is not an integer")
    if number < 0:
        _fail(f"'{number}' should be non-negative")
    return number


def filter_version(value: str) -> int:
    return integer()(value)  # type: ignore[no-any-return]


SUBNET = ResourceDef("subnet", "subnets", "Subnet", (
    *standard_attrs(),
    Attr("network_id", uuid_str),
    Attr("ip_version", ip_version, convert_filter=filter_version),
    Attr("subnetpool_id", uuid_or_none, default=NOT_SET),
    Attr("prefixlen", non_negative, default=NOT_SET, visible=False, filter=False,
         sort=False),
    Attr("use_default_subnetpool", boolean, default=False, visible=False, filter=False,
         sort=False),
    Attr("cidr", subnet_cidr_or_none, default=NOT_SET),
    Attr("gateway_ip", ip_or_none, put=True, default=NOT_SET),
    Attr("allocation_pools", ip_pools, put=True, default=NOT_SET, filter=False, sort=False),
    Attr("dns_nameservers", nameservers, put=True, default=NOT_SET, filter=False,
         sort=False),
    Attr("host_routes", hostroutes, put=True, default=NOT_SET, filter=False, sort=False),
    Attr("enable_dhcp", boolean, put=True, default=True, convert_filter=filter_bool),
    Attr("ipv6_ra_mode", one_of(*IPV6_MODES, nullable=True), default=NOT_SET),
    Attr("ipv6_address_mode", one_of(*IPV6_MODES, nullable=True), default=NOT_SET),
    Attr("segment_id", uuid_or_none, put=True, default=None, policy=True),
    Attr("service_types", service_types, put=True, default=[], policy=True, filter=True,
         sort=False),
    Attr("dns_publish_fixed_ip", boolean, put=True, default=False,
         convert_filter=filter_bool),
    Attr("router:external", post=False, default=None, convert_filter=filter_bool,
         sort=False),
    # What policy reads (the network's sharing and owner); never shown.
    Attr("shared", post=False, default=False, visible=False, convert_filter=filter_bool,
         sort=False),
    Attr("network:tenant_id", post=False, default=None, visible=False, filter=False,
         sort=False),
    Attr("network:project_id", post=False, default=None, visible=False, filter=False,
         sort=False),
), service="subnets")


__all__ = ["SUBNET", "NOT_SET", "IPV6_MODES", "filter_int", "non_negative"]
