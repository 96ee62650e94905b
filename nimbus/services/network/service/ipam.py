"""IPAM: choosing fixed IPs for ports, as Neutron's built-in IPAM does.

Without ``fixed_ips`` a port gets one address from the first IPv4 subnet with room, one
from the first stateful IPv6 subnet with room, and its EUI-64 address on every SLAAC or
DHCPv6-stateless subnet. The primary key of ``network_ip_allocation`` (subnet, address) is
what keeps an address from being handed out twice: two requests racing for one address
both insert, one commit fails, and that request tries again with a fresh view
(``ports.py`` retries). Candidates are picked at random among the first free ones of the
pools, so racing requests seldom collide at all.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.services.network.errors import ConflictNeutron, InvalidInput
from nimbus.services.network.models.core import AllocationPool, IPAllocation, Subnet

AUTO_MODES = ("slaac", "dhcpv6-stateless")
# Pick among this many of the first free addresses (spreads racing requests apart).
SPREAD = 16


def is_auto_address(subnet: Subnet) -> bool:
    return subnet.ip_version == 6 and subnet.ipv6_address_mode in AUTO_MODES


def eui64(cidr: str, mac: str) -> str:
    """The SLAAC address of ``mac`` in a /64 (modified EUI-64)."""
    octets = [int(x, 16) for x in mac.split(":")]
    octets[0] ^= 0x02
    iid = octets[:3] + [0xFF, 0xFE] + octets[3:]
    net = ipaddress.ip_network(cidr)
    return str(net.network_address + int.from_bytes(bytes(iid), "big"))


class Ipam:
    def subnets_of(self, s: Session, network_id: str) -> list[Subnet]:
        return list(s.scalars(select(Subnet).where(Subnet.network_id == network_id)
                              .order_by(Subnet.created_at, Subnet.id)))

    def allocate(self, s: Session, network_id: str, port_id: str, mac: str,
                 requested: list[dict[str, Any]] | None,
                 subnets: list[Subnet] | None = None) -> list[IPAllocation]:
        """Insert the port's allocations (flushed, not committed)."""
        subnets = subnets if subnets is not None else self.subnets_of(s, network_id)
        wanted = self._wanted(subnets, requested, mac, network_id)
        rows = []
        for subnet, address in wanted:
            address = address or self._pick(s, subnet, network_id)
            self._ensure_free(s, subnet, address)
            row = IPAllocation(subnet_id=subnet.id, ip_address=address, port_id=port_id,
                               network_id=network_id)
            s.add(row)
            rows.append(row)
        s.flush()
        return rows

    def _wanted(self, subnets: list[Subnet], requested: list[dict[str, Any]] | None,
                mac: str, network_id: str) -> list[tuple[Subnet, str | None]]:
        by_id = {sub.id: sub for sub in subnets}
        if requested is None:
            return self._default(subnets, mac)
        out: list[tuple[Subnet, str | None]] = []
        for item in requested:
            subnet = by_id.get(item["subnet_id"]) if "subnet_id" in item else \
                self._subnet_for(subnets, item["ip_address"], network_id)
            if subnet is None:
                raise InvalidInput(f"Failed to create port on network {network_id}, because "
                                   f"fixed_ips included invalid subnet {item['subnet_id']}")
            address = item.get("ip_address")
            if address is not None:
                self._check_in_subnet(subnet, address)
            elif is_auto_address(subnet):
                address = eui64(subnet.cidr, mac)
            out.append((subnet, address))
        return out

    def _default(self, subnets: list[Subnet], mac: str) -> list[tuple[Subnet, str | None]]:
        out: list[tuple[Subnet, str | None]] = []
        v4 = [x for x in subnets if x.ip_version == 4]
        v6_stateful = [x for x in subnets if x.ip_version == 6 and not is_auto_address(x)]
        if v4:
            out.append((v4[0], None))
        if v6_stateful:
            out.append((v6_stateful[0], None))
        out.extend((x, eui64(x.cidr, mac)) for x in subnets if is_auto_address(x))
        return out

    def _subnet_for(self, subnets: list[Subnet], address: str,
                    network_id: str) -> Subnet:
        ip = ipaddress.ip_address(address)
        for subnet in subnets:
            if ip.version == subnet.ip_version and ip in ipaddress.ip_network(subnet.cidr):
                return subnet
        raise InvalidInput(f"IP address {address} is not a valid IP for any of the subnets "
                           "on the specified network")

    def _check_in_subnet(self, subnet: Subnet, address: str) -> None:
        ip = ipaddress.ip_address(address)
        net = ipaddress.ip_network(subnet.cidr)
        bad_edge = ip == net.network_address or (net.version == 4 and net.prefixlen < 31 and
                                                 ip == net.broadcast_address)
        if ip.version != net.version or ip not in net or bad_edge:
            raise InvalidInput(f"IP address {address} is not a valid IP for the specified "
                               "subnet")

    def _ensure_free(self, s: Session, subnet: Subnet, address: str) -> None:
        if s.get(IPAllocation, (subnet.id, address)) is not None:
            raise ConflictNeutron("IpAddressAlreadyAllocated", f"IP address {address} already "
                                  f"allocated in subnet {subnet.id}")

    def _pick(self, s: Session, subnet: Subnet, network_id: str) -> str:
        used = set(s.scalars(select(IPAllocation.ip_address)
                             .where(IPAllocation.subnet_id == subnet.id)))
        if subnet.gateway_ip:
            used.add(subnet.gateway_ip)
        free = []
        for candidate in self._candidates(s, subnet):
            if candidate not in used:
                free.append(candidate)
                if len(free) >= SPREAD:
                    break
        if not free:
            raise ConflictNeutron("IpAddressGenerationFailure", "No more IP addresses "
                                  f"available on network {network_id}.")
        return random.choice(free)

    def _candidates(self, s: Session, subnet: Subnet) -> Iterator[str]:
        pools = s.execute(select(AllocationPool.first_ip, AllocationPool.last_ip)
                          .where(AllocationPool.subnet_id == subnet.id)
                          .order_by(AllocationPool.id)).all()
        for first, last in pools:
            start, end = int(ipaddress.ip_address(first)), int(ipaddress.ip_address(last))
            make = ipaddress.IPv4Address if subnet.ip_version == 4 else ipaddress.IPv6Address
            for value in range(start, end + 1):
                yield str(make(value))
