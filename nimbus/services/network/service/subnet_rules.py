"""Neutron's subnet checks, as pure functions over ``ipaddress`` values: the CIDR, the
gateway, allocation pools (default ones and the caller's), DNS servers, host routes and
the IPv6 modes (``db_base_plugin_v2._validate_subnet``, ``ipam_backend_mixin``,
``ipam/utils.py``), with Neutron's errors and messages."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from nimbus.kernel.errors import BadRequest
from nimbus.services.network.errors import (
    BadRequestNeutron,
    ConflictNeutron,
    InvalidInput,
    NeutronError,
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network
Pool = tuple[Address, Address]

MAX_DNS_NAMESERVERS = 5
MAX_HOST_ROUTES = 20
AUTO_ADDRESS_MODES = ("slaac", "dhcpv6-stateless")


class BadRequestTyped(NeutronError, BadRequest):
    """A Neutron BadRequest subclass with its own type (InvalidAllocationPool, ...)."""

    def __init__(self, neutron_type: str, message: str) -> None:
        self.neutron_type = neutron_type
        super().__init__(message)


def pool_text(pool: Pool) -> str:
    return f"{pool[0]}-{pool[1]}"


def pools_out(pools: Iterable[Pool]) -> list[dict[str, str]]:
    return [{"start": str(a), "end": str(b)} for a, b in pools]


def is_auto_address(ra_mode: str | None, address_mode: str | None) -> bool:
    """SLAAC or DHCPv6-stateless: addresses come from the prefix, not from IPAM."""
    return address_mode in AUTO_ADDRESS_MODES or (
        address_mode is None and ra_mode in AUTO_ADDRESS_MODES)


def check_version(ip_version: int, text: str, name: str) -> None:
    if ipaddress.ip_network(text, strict=False).version != ip_version:
        raise InvalidInput(f"{name} '{text}' does not match the ip_version '{ip_version}'")


def check_cidr(net: Net, enable_dhcp: bool) -> None:
    """The CIDR on its own (create only; the cidr cannot change)."""
    if net.prefixlen == 0:
        raise InvalidInput("0 is not allowed as CIDR prefix length")
    if net.version == 6 and net.network_address == ipaddress.IPv6Address("::"):
        raise InvalidInput("IPv6 subnet '::' is not supported")
    if not enable_dhcp:
        return
    if (net.version == 4 and net.prefixlen > 30) or (net.version == 6 and net.prefixlen > 126):
        raise InvalidInput("Subnet has a prefix length that is incompatible with DHCP "
                           "service enabled")
    if net.is_multicast:
        raise InvalidInput("Multicast IP subnet is not supported if enable_dhcp is True")
    if net.is_loopback:
        raise InvalidInput("Loopback IP subnet is not supported if enable_dhcp is True")
    if net.version == 4 and int(net.network_address) == 0:
        raise InvalidInput("First IP '0.0.0.0' of network is not supported if enable_dhcp "
                           "is True.")


def check_gateway(net: Net, gateway: str | None) -> None:
    if not gateway:
        return
    check_version(net.version, gateway, "gateway_ip")
    ip = ipaddress.ip_address(gateway)
    if net.version == 4 and ip in net and ip in (net.network_address,
                                                 net.broadcast_address):
        raise InvalidInput("Gateway is not valid on subnet")


def default_gateway(net: Net) -> str:
    """Neutron's: the first host of an IPv4 subnet, the subnet-router anycast for IPv6."""
    return str(net.network_address if net.version == 6 else net.network_address + 1)


def usable_range(net: Net) -> Pool:
    """The addresses a pool may hold: not the network address, nor IPv4's broadcast."""
    first, last = net.network_address, net.broadcast_address
    if net.version == 4 and net.prefixlen > 30:
        return first, last
    return first + 1, (last - 1 if net.version == 4 else last)


def generate_pools(net: Net, gateway: str | None) -> list[Pool]:
    first, last = usable_range(net)
    if net.num_addresses == 1:
        return [(net.network_address, net.network_address)]
    if not gateway:
        return [(first, last)]
    gw = ipaddress.ip_address(gateway)
    if not first <= gw <= last:
        return [(first, last)]
    pools = []
    if gw > first:
        pools.append((first, gw - 1))
    if gw < last:
        pools.append((gw + 1, last))
    return pools


def parse_pools(pools: list[dict[str, str]]) -> list[Pool]:
    out = []
    for pool in pools:
        start, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        if start.version != end.version or start > end:
            raise BadRequestTyped("InvalidAllocationPool",
                                  f"The allocation pool {pool_text((start, end))} is not "
                                  "valid.")
        out.append((start, end))
    return out


def check_pools(pools: list[Pool], net: Net) -> None:
    first, last = usable_range(net)
    for pool in pools:
        if pool[0].version != net.version:
            raise BadRequestTyped("InvalidAllocationPool",
                                  f"The allocation pool {pool_text(pool)} is not valid.")
        if pool[0] < first or pool[1] > last:
            raise BadRequestTyped("OutOfBoundsAllocationPool",
                                  f"The allocation pool {pool_text(pool)} spans beyond the "
                                  f"subnet cidr {net}.")
    for i, left in enumerate(pools):
        for right in pools[i + 1:]:
            if left[0] <= right[1] and right[0] <= left[1]:
                raise ConflictNeutron("OverlappingAllocationPools",
                                      f"Found overlapping allocation pools: "
                                      f"{pool_text(left)} {pool_text(right)} for subnet "
                                      f"{net}.")


def check_gateway_out_of_pools(gateway: str | None, pools: list[Pool]) -> None:
    if not gateway:
        return
    gw = ipaddress.ip_address(gateway)
    for pool in pools:
        if pool[0].version == gw.version and pool[0] <= gw <= pool[1]:
            raise ConflictNeutron("GatewayConflictWithAllocationPools",
                                  f"Gateway ip {gateway} conflicts with allocation pool "
                                  f"{pool_text(pool)}.")


def check_dns(servers: list[str], ip_version: int, subnet_id: str | None) -> None:
    if len(servers) > MAX_DNS_NAMESERVERS:
        raise BadRequestTyped("DNSNameServersExhausted",
                              f"Unable to complete operation for {subnet_id or 'new subnet'}."
                              f" The number of DNS nameservers exceeds the limit "
                              f"{MAX_DNS_NAMESERVERS}.")
    for server in servers:
        check_version(ip_version, server, "dns_nameserver")


def check_routes(routes: list[dict[str, str]], ip_version: int,
                 subnet_id: str | None) -> None:
    if len(routes) > MAX_HOST_ROUTES:
        raise BadRequestTyped("HostRoutesExhausted",
                              f"Unable to complete operation for {subnet_id or 'new subnet'}."
                              f" The number of host routes exceeds the limit "
                              f"{MAX_HOST_ROUTES}.")
    for route in routes:
        for key in ("destination", "nexthop"):
            if ipaddress.ip_network(route[key], strict=False).version != ip_version:
                raise InvalidInput(f"Invalid route: {route}")


def check_ipv6_modes(values: dict[str, Any], net: Net | None) -> None:
    """Modes on create: both set means the same value, DHCP on, and /64 for SLAAC."""
    ra, addr = values.get("ipv6_ra_mode"), values.get("ipv6_address_mode")
    if (ra or addr) and not values.get("enable_dhcp", True):
        raise InvalidInput("ipv6_ra_mode or ipv6_address_mode cannot be set when "
                           "enable_dhcp is set to False")
    if ra and addr and ra != addr:
        raise InvalidInput(f"ipv6_ra_mode set to '{ra}' with ipv6_address_mode set to "
                           f"'{addr}' is not valid. If both attributes are set, they must "
                           "be the same value")
    if net is not None and (ra or addr) and is_auto_address(ra, addr) and \
            net.prefixlen != 64:
        raise InvalidInput(f"Invalid CIDR {net} for IPv6 address mode. OpenStack uses the "
                           "EUI-64 address format, which requires the prefix to be /64")


def check_ipv4_has_no_modes(values: dict[str, Any]) -> None:
    for key in ("ipv6_ra_mode", "ipv6_address_mode"):
        if values.get(key):
            raise InvalidInput(f"{key} is not valid when ip_version is 4")


def overlaps(net: Net, others: Iterable[str]) -> bool:
    return any(net.overlaps(ipaddress.ip_network(o)) for o in others
               if ipaddress.ip_network(o).version == net.version)


def pool_size(pools: Iterable[tuple[str, str]]) -> int:
    return sum(int(ipaddress.ip_address(b)) - int(ipaddress.ip_address(a)) + 1
               for a, b in pools)


def bad_subnet(msg: str) -> BadRequestNeutron:
    return BadRequestNeutron("subnets", msg)
