"""PortInfo from what the Networking API answers (port, subnet, floating IP documents as
GET /v2.0/... gives them, or the network service's views of them): what Nova's network
info cache is built from (nova/network/neutron.py's _get_subnets_from_port)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nimbus.services.compute.metadata.model import FixedIp, HostRoute, PortInfo, SubnetInfo

Doc = Mapping[str, Any]


def port_info(port: Doc, subnets: Iterable[Doc], *, network_mtu: int | None = None,
              dhcp_ports: Iterable[Doc] = (), floating_ips: Iterable[Doc] = ()) -> PortInfo:
    """One of the instance's ports. ``subnets``: those of its fixed IPs (others are
    ignored); ``dhcp_ports``: the network's ``network:dhcp`` ports (their addresses make
    the subnets' ``dhcp_server``); ``floating_ips``: floating IPs, of this port or not."""
    by_id = {s["id"]: s for s in subnets}
    dhcp = _dhcp_servers(dhcp_ports)
    floating = _floating_by_fixed(port["id"], floating_ips)
    fixed = [FixedIp(ip["ip_address"], ip["subnet_id"], floating.get(ip["ip_address"], []))
             for ip in port.get("fixed_ips") or []]
    wanted = list(dict.fromkeys(ip.subnet_id for ip in fixed if ip.subnet_id in by_id))
    return PortInfo(id=port["id"], mac_address=port["mac_address"],
                    network_id=port["network_id"], fixed_ips=fixed,
                    subnets=[subnet_info(by_id[i], dhcp.get(i)) for i in wanted],
                    mtu=network_mtu, vif_type=port.get("binding:vif_type") or "bridge")


def subnet_info(subnet: Doc, dhcp_server: str | None = None) -> SubnetInfo:
    return SubnetInfo(
        id=subnet["id"], cidr=subnet["cidr"], gateway_ip=subnet.get("gateway_ip"),
        dns_nameservers=list(subnet.get("dns_nameservers") or []),
        host_routes=[HostRoute(r["destination"], r["nexthop"])
                     for r in subnet.get("host_routes") or []],
        enable_dhcp=bool(subnet.get("enable_dhcp")),
        ipv6_address_mode=subnet.get("ipv6_address_mode") or None, dhcp_server=dhcp_server)


def _dhcp_servers(dhcp_ports: Iterable[Doc]) -> dict[str, str]:
    out: dict[str, str] = {}
    for port in dhcp_ports:
        for ip in port.get("fixed_ips") or []:
            out.setdefault(ip["subnet_id"], ip["ip_address"])
    return out


def _floating_by_fixed(port_id: str, floating_ips: Iterable[Doc]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for fip in floating_ips:
        if fip.get("port_id") == port_id and fip.get("fixed_ip_address"):
            out.setdefault(fip["fixed_ip_address"], []).append(fip["floating_ip_address"])
    return out
