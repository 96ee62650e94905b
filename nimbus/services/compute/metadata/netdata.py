"""network_data.json (nova/virt/netutils.py's get_network_metadata) and the addresses EC2's
local-ipv4 / public-ipv4 come from."""

from __future__ import annotations

import ipaddress
from typing import Any

from nimbus.services.compute.metadata.model import FixedIp, PortInfo, SubnetInfo

# Neutron VIF types Nova shows as they are; any other is a physical NIC ("phy").
EXPOSED_VIF_TYPES = ("bridge", "dvs", "hw_veb", "hyperv", "ovs", "tap", "vhostuser", "vif")
_DEFAULT_ROUTE = {4: ("0.0.0.0", "0.0.0.0"), 6: ("::", "::")}


def network_data(ports: list[PortInfo]) -> dict[str, Any] | None:
    """Links, networks and services of the instance; None when it has no ports."""
    if not ports:
        return None
    links: list[dict[str, Any]] = []
    nets: list[dict[str, Any]] = []
    services: list[dict[str, str]] = []
    for port in ports:
        if not port.subnets:
            continue
        # Like Nova: the first IPv4 and the first IPv6 subnet of a port only.
        firsts = [s for s in (_first(port, 4), _first(port, 6)) if s is not None]
        if not firsts:
            continue
        link = _link(port)
        links.append(link)
        for subnet in firsts:
            ips = _ips_in(port, subnet)
            if not ips:
                continue
            nets.append(_network(port, subnet, ips[0], f"network{len(nets)}", link["id"]))
            services += [dns for dns in _dns(subnet) if dns not in services]
    return {"links": links, "networks": nets, "services": services}


def _first(port: PortInfo, version: int) -> SubnetInfo | None:
    return next((s for s in port.subnets if s.ip_version == version), None)


def _ips_in(port: PortInfo, subnet: SubnetInfo) -> list[FixedIp]:
    return [ip for ip in port.fixed_ips if ip.subnet_id == subnet.id]


def _link(port: PortInfo) -> dict[str, Any]:
    # A DHCP server on any of the subnets hands out the MTU itself.
    mtu = None if any(s.dhcp_server for s in port.subnets) else port.mtu
    return {"id": port.link_name, "vif_id": port.id,
            "type": port.vif_type if port.vif_type in EXPOSED_VIF_TYPES else "phy",
            "mtu": mtu, "ethernet_mac_address": port.mac_address}


def _network(port: PortInfo, subnet: SubnetInfo, ip: FixedIp, net_id: str,
             link_id: str) -> dict[str, Any]:
    version = subnet.ip_version
    suffix = ""
    if subnet.ipv6_address_mode is not None:
        suffix = f"_{subnet.ipv6_address_mode}"
    elif subnet.dhcp_server is not None or subnet.enable_dhcp:
        return {"id": net_id, "type": f"ipv{version}_dhcp", "link": link_id,
                "network_id": port.network_id}
    cidr = ipaddress.ip_network(subnet.cidr, strict=False)
    routes = []
    if subnet.gateway_ip:
        network, netmask = _DEFAULT_ROUTE[version]
        routes.append({"network": network, "netmask": netmask, "gateway": subnet.gateway_ip})
    for route in subnet.host_routes:
        dest = ipaddress.ip_network(route.destination, strict=False)
        routes.append({"network": str(dest.network_address), "netmask": str(dest.netmask),
                       "gateway": route.nexthop})
    return {"id": net_id, "type": f"ipv{version}{suffix}", "link": link_id,
            "ip_address": ip.ip_address, "netmask": str(cidr.netmask), "routes": routes,
            "network_id": port.network_id, "services": _dns(subnet)}


def _dns(subnet: SubnetInfo) -> list[dict[str, str]]:
    return [{"type": "dns", "address": address} for address in subnet.dns_nameservers]


def ec2_addresses(ports: list[PortInfo]) -> tuple[list[str], list[str]]:
    """(IPv4 fixed addresses, floating addresses), port by port, subnet by subnet."""
    fixed: list[str] = []
    floating: list[str] = []
    for port in ports:
        for subnet in port.subnets:
            for ip in _ips_in(port, subnet):
                if subnet.ip_version == 4:
                    fixed.append(ip.ip_address)
                floating += ip.floating_ips
    return fixed, floating
