"""Network IP availability (admin only) through openstacksdk and the CLI: totals per
network and subnet from the allocation pools. (Used counts with ports: the unit tests.)"""

from __future__ import annotations

from typing import Any

from tests.api.network._subnets_fixtures import fault


def test_totals(admin: Any, make_network: Any) -> None:
    net = make_network()
    v4 = admin.network.create_subnet(
        network_id=net.id, is_dhcp_enabled=False, ip_version=4, cidr="10.130.0.0/24",
                                     allocation_pools=[{"start": "10.130.0.10",
                                                        "end": "10.130.0.19"}])
    v6 = admin.network.create_subnet(
        network_id=net.id, is_dhcp_enabled=False, ip_version=6,
                                     cidr="2001:db8:130::/120")
    got = admin.network.get_network_ip_availability(net.id)
    assert got.network_id == net.id and got.network_name == net.name
    assert got.total_ips == 10 + 255 and got.used_ips == 0
    per = {s["subnet_id"]: s for s in got.subnet_ip_availability}
    assert per[v4.id]["total_ips"] == 10 and per[v4.id]["cidr"] == "10.130.0.0/24"
    assert per[v6.id]["total_ips"] == 255 and per[v6.id]["ip_version"] == 6
    listed = list(admin.network.network_ip_availabilities(ip_version=6))
    assert net.id in {a.network_id for a in listed}
    only = [a for a in listed if a.network_id == net.id][0]
    assert [s["subnet_id"] for s in only.subnet_ip_availability] == [v6.id]


def test_paging(admin: Any, make_network: Any) -> None:
    for _ in range(3):
        make_network()
    resp = admin.network.request("/network-ip-availabilities?limit=2", "GET")
    doc = resp.json()
    assert len(doc["network_ip_availabilities"]) == 2
    assert "id" not in doc["network_ip_availabilities"][0]
    assert doc["network_ip_availabilities_links"][0]["rel"] == "next"
    everything = [a.network_id for a in admin.network.network_ip_availabilities()]
    assert everything == sorted(everything) and len(everything) >= 3


def test_admin_only(admin: Any, make_member: Any, make_network: Any) -> None:
    alice = make_member()
    net = make_network(alice.conn)
    assert fault(alice.conn, "GET", f"/network-ip-availabilities/{net.id}")[0] == 404
    status_list = alice.conn.network.request("/network-ip-availabilities", "GET",
                                             raise_exc=False)
    assert status_list.status_code == 200
    assert status_list.json()["network_ip_availabilities"] == []


def test_cli(cli: Any, admin: Any, make_network: Any) -> None:
    net = make_network()
    admin.network.create_subnet(
        network_id=net.id, is_dhcp_enabled=False, ip_version=4, cidr="10.131.0.0/28")
    listed = cli("ip", "availability", "list", "-f", "json")
    row = [r for r in listed if r["Network ID"] == net.id][0]
    assert row["Total IPs"] == 13 and row["Used IPs"] == 0
    shown = cli("ip", "availability", "show", net.id, "-f", "json")
    assert shown["total_ips"] == 13
