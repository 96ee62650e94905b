"""PortInfo from the Networking API's documents, and the network_data.json it makes."""

from __future__ import annotations

from nimbus.services.compute.metadata import InstanceMetadata, port_info

from .conftest import make_instance

PORT = {"id": "c5d4e5f6-0000-4000-8000-000000000001", "mac_address": "fa:16:3e:58:42:ed",
        "network_id": "net-1", "binding:vif_type": "bridge", "device_owner": "compute:nova",
        "fixed_ips": [{"subnet_id": "sub-6", "ip_address": "2001:db8::f816:3eff:fe58:42ed"},
                      {"subnet_id": "sub-4", "ip_address": "10.0.0.7"}]}
SUBNETS = [
    {"id": "sub-4", "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1", "ip_version": 4,
     "enable_dhcp": True, "dns_nameservers": ["10.0.0.53"],
     "host_routes": [{"destination": "172.16.0.0/12", "nexthop": "10.0.0.254"}],
     "ipv6_address_mode": None},
    {"id": "sub-6", "cidr": "2001:db8::/64", "gateway_ip": "2001:db8::1", "ip_version": 6,
     "enable_dhcp": True, "dns_nameservers": [], "host_routes": [],
     "ipv6_address_mode": "dhcpv6-stateless"},
    {"id": "unrelated", "cidr": "192.0.2.0/24", "gateway_ip": None, "enable_dhcp": False},
]
DHCP_PORT = {"id": "dhcp", "device_owner": "network:dhcp",
             "fixed_ips": [{"subnet_id": "sub-4", "ip_address": "10.0.0.2"}]}
FIPS = [{"port_id": PORT["id"], "fixed_ip_address": "10.0.0.7",
         "floating_ip_address": "172.24.4.20"},
        {"port_id": "another", "fixed_ip_address": "10.0.0.9",
         "floating_ip_address": "172.24.4.21"}]


def test_port_info_from_neutron_documents() -> None:
    info = port_info(PORT, SUBNETS, network_mtu=1450, dhcp_ports=[DHCP_PORT],
                     floating_ips=FIPS)
    assert [s.id for s in info.subnets] == ["sub-6", "sub-4"]  # the fixed IPs' order
    v6, v4 = info.subnets
    assert v4.dhcp_server == "10.0.0.2" and v6.dhcp_server is None
    assert v4.host_routes[0].destination == "172.16.0.0/12"
    assert v6.ipv6_address_mode == "dhcpv6-stateless" and v4.ipv6_address_mode is None
    assert [ip.floating_ips for ip in info.fixed_ips] == [[], ["172.24.4.20"]]
    assert info.link_name == "tapc5d4e5f6-00" and info.mtu == 1450


def test_network_data_and_ec2_from_neutron_documents() -> None:
    info = port_info(PORT, SUBNETS, network_mtu=1450, dhcp_ports=[DHCP_PORT],
                     floating_ips=FIPS)
    md = InstanceMetadata(make_instance(ports=[info]))
    data = md.network_data()
    assert data["links"][0]["mtu"] is None  # the network's DHCP port serves the MTU
    assert data["networks"] == [
        {"id": "network0", "type": "ipv4_dhcp", "link": "tapc5d4e5f6-00",
         "network_id": "net-1"},
        {"id": "network1", "type": "ipv6_dhcpv6-stateless", "link": "tapc5d4e5f6-00",
         "ip_address": "2001:db8::f816:3eff:fe58:42ed", "netmask": "ffff:ffff:ffff:ffff::",
         "routes": [{"network": "::", "netmask": "::", "gateway": "2001:db8::1"}],
         "network_id": "net-1", "services": []}]
    assert data["services"] == [{"type": "dns", "address": "10.0.0.53"}]
    meta = md.ec2_metadata("latest")["meta-data"]
    assert meta["local-ipv4"] == "10.0.0.7" and meta["public-ipv4"] == "172.24.4.20"
    no_dhcp = port_info(PORT, SUBNETS, network_mtu=1450)
    assert InstanceMetadata(make_instance(ports=[no_dhcp])).network_data()["links"][0][
        "mtu"] == 1450
