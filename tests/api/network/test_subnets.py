"""Subnets through openstacksdk, the openstack CLI and python-neutronclient: IPv4 and IPv6,
gateways, allocation pools, DNS servers, host routes, IPv6 modes, overlap rules, updates,
deletes, bad input (Neutron's 4xx and nothing written) and per-project isolation."""

from __future__ import annotations

from typing import Any

import pytest
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique
from tests.api.network._subnets_fixtures import fault, neutron


def test_ipv4_defaults(admin: Any, make_network: Any) -> None:
    net = make_network()
    sub = admin.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.20.0.0/24",
                                      name="v4")
    assert sub.cidr == "10.20.0.0/24" and sub.ip_version == 4
    assert sub.gateway_ip == "10.20.0.1"
    assert sub.allocation_pools == [{"start": "10.20.0.2", "end": "10.20.0.254"}]
    assert sub.is_dhcp_enabled is True
    assert sub.dns_nameservers == [] and sub.host_routes == []
    assert sub.ipv6_ra_mode is None and sub.ipv6_address_mode is None
    assert sub.subnet_pool_id is None and sub.revision_number == 0
    assert admin.network.get_network(net.id).subnet_ids == [sub.id]
    shown = admin.network.get_subnet(sub.id)
    assert shown.name == "v4" and shown.project_id == admin.current_project_id


def test_host_bits_are_cleared(admin: Any, make_network: Any) -> None:
    net = make_network()
    sub = admin.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.21.0.77/24")
    assert sub.cidr == "10.21.0.0/24"


def test_all_attributes(admin: Any, make_network: Any) -> None:
    net = make_network()
    sub = admin.network.create_subnet(
        network_id=net.id, ip_version=4, cidr="10.22.0.0/24", gateway_ip="10.22.0.254",
        allocation_pools=[{"start": "10.22.0.10", "end": "10.22.0.20"},
                          {"start": "10.22.0.30", "end": "10.22.0.40"}],
        dns_nameservers=["8.8.8.8", "1.1.1.1"], is_dhcp_enabled=False,
        host_routes=[{"destination": "192.168.0.0/16", "nexthop": "10.22.0.5"}],
        description="all", dns_publish_fixed_ip=True)
    assert sub.gateway_ip == "10.22.0.254"
    assert sub.allocation_pools == [{"start": "10.22.0.10", "end": "10.22.0.20"},
                                    {"start": "10.22.0.30", "end": "10.22.0.40"}]
    assert sub.dns_nameservers == ["8.8.8.8", "1.1.1.1"]   # order kept
    assert sub.host_routes == [{"destination": "192.168.0.0/16", "nexthop": "10.22.0.5"}]
    assert sub.is_dhcp_enabled is False and sub.description == "all"
    assert sub.dns_publish_fixed_ip is True


def test_no_gateway(admin: Any, make_network: Any) -> None:
    net = make_network()
    sub = admin.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.23.0.0/29",
                                      gateway_ip=None)
    assert sub.gateway_ip is None
    assert sub.allocation_pools == [{"start": "10.23.0.1", "end": "10.23.0.6"}]


def test_ipv6_modes(admin: Any, make_network: Any) -> None:
    net = make_network()
    for i, mode in enumerate(("slaac", "dhcpv6-stateful", "dhcpv6-stateless"), start=1):
        sub = admin.network.create_subnet(network_id=net.id, ip_version=6,
                                          cidr=f"2001:db8:{i}::/64", ipv6_ra_mode=mode,
                                          ipv6_address_mode=mode)
        assert (sub.ipv6_ra_mode, sub.ipv6_address_mode) == (mode, mode)
        # Neutron's default IPv6 gateway: the subnet-router anycast address.
        assert sub.gateway_ip == f"2001:db8:{i}::"
        assert sub.allocation_pools == [{"start": f"2001:db8:{i}::1",
                                         "end": f"2001:db8:{i}:0:ffff:ffff:ffff:ffff"}]
    only_addr = admin.network.create_subnet(network_id=net.id, ip_version=6,
                                            cidr="2001:db8:9::/64",
                                            ipv6_address_mode="slaac")
    assert only_addr.ipv6_ra_mode is None and only_addr.ipv6_address_mode == "slaac"


@pytest.mark.parametrize("body, status, kind", [
    ({"cidr": "10.30.0.0/33"}, 400, "InvalidInput"),
    ({"cidr": "not-a-cidr"}, 400, "InvalidInput"),
    ({"cidr": "10.30.0.0"}, 400, "InvalidInput"),
    ({"cidr": "2001:db8::/64"}, 400, "InvalidInput"),                 # IPv6 in an IPv4 subnet
    ({"cidr": "10.30.0.0/24", "gateway_ip": "2001:db8::1"}, 400, "InvalidInput"),
    ({"cidr": "10.30.0.0/24", "gateway_ip": "10.30.0.255"}, 400, "InvalidInput"),
    ({"cidr": "10.30.0.0/24", "gateway_ip": "10.30.0.0"}, 400, "InvalidInput"),
    ({"cidr": "10.30.0.0/24", "gateway_ip": "10.30.0.300"}, 400, "InvalidInput"),
    ({"cidr": "10.30.0.0/24", "dns_nameservers": ["8.8.8.8", "8.8.8.8"]}, 400,
     "InvalidInput"),
    ({"cidr": "10.30.0.0/24", "dns_nameservers": ["2001:db8::1"]}, 400, "InvalidInput"),
    ({"cidr": "10.30.0.0/24", "host_routes": [{"destination": "1.2.3.4"}]}, 400,
     "InvalidInput"),
    ({"cidr": "10.30.0.0/24", "allocation_pools": [{"start": "10.30.0.10",
                                                     "end": "10.30.1.20"}]},
     400, "OutOfBoundsAllocationPool"),
    ({"cidr": "10.30.0.0/24", "allocation_pools": [{"start": "10.30.0.20",
                                                     "end": "10.30.0.10"}]},
     400, "InvalidAllocationPool"),
    ({"cidr": "10.30.0.0/24", "allocation_pools": [
        {"start": "10.30.0.10", "end": "10.30.0.20"},
        {"start": "10.30.0.15", "end": "10.30.0.30"}]}, 409, "OverlappingAllocationPools"),
    ({"cidr": "10.30.0.0/24", "gateway_ip": "10.30.0.12", "allocation_pools": [
        {"start": "10.30.0.10", "end": "10.30.0.20"}]}, 409,
     "GatewayConflictWithAllocationPools"),
    ({"cidr": "10.30.0.0/24", "ipv6_ra_mode": "slaac"}, 400, "InvalidInput"),
    ({"cidr": "10.30.0.0/24", "name": "x" * 65536}, 400, "InvalidInput"),
    ({"cidr": "10.30.0.0/24", "bogus": 1}, 400, "BadRequest"),
    ({"cidr": "10.30.0.0/24", "ip_version": 5}, 400, "InvalidInput"),
    ({"cidr": "10.30.0.0/31"}, 400, "InvalidInput"),                 # too small for DHCP
    ({"cidr": "0.0.0.0/0", "enable_dhcp": False}, 400, "InvalidInput"),
    ({}, 400, "BadRequest"),                                          # no cidr, no pool
    ({"cidr": "10.30.0.0/24", "prefixlen": 24}, 400, "BadRequest"),
    ({"cidr": "10.30.0.0/24", "use_default_subnetpool": True, "subnetpool_id":
      "5a1e7f4c-2f9b-4d3e-9b1a-0c2d3e4f5a6b"}, 400, "BadRequest"),
])
def test_bad_input_writes_nothing(admin: Any, make_network: Any, body: dict[str, Any],
                                  status: int, kind: str) -> None:
    net = make_network()
    req = {"network_id": net.id, "ip_version": 4, **body}
    got = fault(admin, "POST", "/subnets", {"subnet": req})
    assert got[:2] == (status, kind), got
    assert list(admin.network.subnets(network_id=net.id)) == []


@pytest.mark.parametrize("body, kind", [
    ({"cidr": "2001:db8::/64", "ipv6_ra_mode": "slaac",
      "ipv6_address_mode": "dhcpv6-stateful"}, "InvalidInput"),
    ({"cidr": "2001:db8::/80", "ipv6_address_mode": "slaac"}, "InvalidInput"),
    ({"cidr": "2001:db8::/64", "ipv6_ra_mode": "slaac", "enable_dhcp": False},
     "InvalidInput"),
    ({"cidr": "2001:db8::/64", "ipv6_ra_mode": "bogus"}, "InvalidInput"),
    ({"cidr": "10.0.0.0/24"}, "InvalidInput"),                       # IPv4 in an IPv6 subnet
    ({"cidr": "::/64", "enable_dhcp": False}, "InvalidInput"),
])
def test_bad_ipv6(admin: Any, make_network: Any, body: dict[str, Any], kind: str) -> None:
    net = make_network()
    got = fault(admin, "POST", "/subnets", {"subnet": {"network_id": net.id,
                                                       "ip_version": 6, **body}})
    assert got[:2] == (400, kind), got
    assert list(admin.network.subnets(network_id=net.id)) == []


def test_overlap_within_a_network_only(admin: Any, make_network: Any) -> None:
    a, b = make_network(), make_network()
    admin.network.create_subnet(network_id=a.id, ip_version=4, cidr="10.40.0.0/24")
    status, kind, message = fault(admin, "POST", "/subnets", {"subnet": {
        "network_id": a.id, "ip_version": 4, "cidr": "10.40.0.128/25"}})
    assert (status, kind) == (400, "InvalidInput") and "overlaps with another subnet" in message
    # allow_overlapping_ips (the default): another network may reuse the range.
    other = admin.network.create_subnet(network_id=b.id, ip_version=4, cidr="10.40.0.0/24")
    assert other.cidr == "10.40.0.0/24"


def test_update(admin: Any, make_network: Any) -> None:
    net = make_network()
    sub = admin.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.50.0.0/24",
                                      dns_nameservers=["8.8.8.8"])
    revision = sub.revision_number
    new = admin.network.update_subnet(
        sub, name="renamed", gateway_ip="10.50.0.254", dns_nameservers=["1.1.1.1", "9.9.9.9"],
        host_routes=[{"destination": "10.60.0.0/24", "nexthop": "10.50.0.9"}],
        allocation_pools=[{"start": "10.50.0.2", "end": "10.50.0.100"}],
        is_dhcp_enabled=False)
    assert new.name == "renamed" and new.gateway_ip == "10.50.0.254"
    assert new.dns_nameservers == ["1.1.1.1", "9.9.9.9"]
    assert new.host_routes == [{"destination": "10.60.0.0/24", "nexthop": "10.50.0.9"}]
    assert new.allocation_pools == [{"start": "10.50.0.2", "end": "10.50.0.100"}]
    assert new.is_dhcp_enabled is False and new.revision_number == revision + 1
    # The gateway moved into the pool: refused, nothing changed.
    got = fault(admin, "PUT", f"/subnets/{sub.id}", {"subnet": {"gateway_ip": "10.50.0.50"}})
    assert got[:2] == (409, "GatewayConflictWithAllocationPools")
    for body, status in (({"cidr": "10.51.0.0/24"}, 400), ({"ip_version": 6}, 400),
                         ({"allocation_pools": [{"start": "10.50.1.1", "end": "10.50.1.9"}]},
                          400)):
        assert fault(admin, "PUT", f"/subnets/{sub.id}", {"subnet": body})[0] == status
    again = admin.network.get_subnet(sub.id)
    assert again.gateway_ip == "10.50.0.254" and again.revision_number == new.revision_number
    admin.network.update_subnet(sub, gateway_ip=None)
    assert admin.network.get_subnet(sub.id).gateway_ip is None


def test_ipv6_update_cannot_disable_dhcp(admin: Any, make_network: Any) -> None:
    net = make_network()
    sub = admin.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:5::/64",
                                      ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    got = fault(admin, "PUT", f"/subnets/{sub.id}", {"subnet": {"enable_dhcp": False}})
    assert got[0] == 400 and "Cannot disable enable_dhcp" in got[2]
    assert fault(admin, "PUT", f"/subnets/{sub.id}",
                 {"subnet": {"ipv6_ra_mode": "dhcpv6-stateful"}})[0] == 400


def test_delete_and_network_delete(admin: Any, make_network: Any) -> None:
    net = make_network()
    sub = admin.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.70.0.0/24")
    admin.network.delete_subnet(sub)
    assert admin.network.find_subnet(sub.id) is None
    assert fault(admin, "DELETE", f"/subnets/{sub.id}")[:2] == (404, "SubnetNotFound")
    sub2 = admin.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.70.0.0/24")
    admin.network.delete_network(net)
    assert admin.network.find_subnet(sub2.id) is None


def test_filters_fields_sort_and_tags(admin: Any, make_network: Any) -> None:
    net = make_network()
    tag = unique("tag")
    made = [admin.network.create_subnet(network_id=net.id, ip_version=4,
                                        cidr=f"10.80.{i}.0/24", name=f"s{i}")
            for i in range(3)]
    admin.network.set_tags(made[1], [tag])
    assert [s.id for s in admin.network.subnets(tags=tag)] == [made[1].id]
    names = [s.name for s in admin.network.subnets(network_id=net.id, sort_key="name",
                                                     sort_dir="desc")]
    assert names == ["s2", "s1", "s0"]
    assert [s.id for s in admin.network.subnets(cidr="10.80.2.0/24")] == [made[2].id]
    status, doc = neutron(admin, "GET", f"/subnets?network_id={net.id}&fields=cidr")
    assert status == 200 and all(set(s) == {"cidr"} for s in doc["subnets"])
    status, doc = neutron(admin, "GET", f"/subnets?network_id={net.id}&limit=2")
    assert len(doc["subnets"]) == 2 and doc["subnets_links"][0]["rel"] == "next"
    assert fault(admin, "GET", "/subnets?bogus=1")[0] == 400


def test_isolation_and_policy(admin: Any, make_member: Any, make_network: Any) -> None:
    alice, bob = make_member(), make_member()
    net = make_network(alice.conn)
    sub = alice.conn.network.create_subnet(network_id=net.id, ip_version=4,
                                           cidr="10.90.0.0/24")
    assert alice.conn.network.get_subnet(sub.id).project_id == alice.project.id
    assert fault(bob.conn, "GET", f"/subnets/{sub.id}")[:2] == (404, "SubnetNotFound")
    assert sub.id not in {s.id for s in bob.conn.network.subnets()}
    assert fault(bob.conn, "PUT", f"/subnets/{sub.id}", {"subnet": {"name": "x"}})[0] == 404
    assert fault(bob.conn, "DELETE", f"/subnets/{sub.id}")[0] == 404
    # A subnet on someone else's private network: that network does not exist for bob.
    got = fault(bob.conn, "POST", "/subnets", {"subnet": {
        "network_id": net.id, "ip_version": 4, "cidr": "10.91.0.0/24"}})
    assert got[:2] == (404, "NetworkNotFound")
    # Admin-only attributes.
    got = fault(alice.conn, "POST", "/subnets", {"subnet": {
        "network_id": net.id, "ip_version": 4, "cidr": "10.92.0.0/24",
        "service_types": ["compute:nova"]}})
    assert got[0] == 403
    assert len(list(admin.network.subnets(network_id=net.id))) == 1


def test_shared_network_subnets_visible_not_writable(admin: Any, make_member: Any,
                                                     make_network: Any) -> None:
    bob = make_member()
    net = make_network(shared=True)
    sub = admin.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.93.0.0/24")
    assert bob.conn.network.get_subnet(sub.id).cidr == "10.93.0.0/24"
    got = fault(bob.conn, "POST", "/subnets", {"subnet": {
        "network_id": net.id, "ip_version": 4, "cidr": "10.94.0.0/24"}})
    assert got[0] == 403
    with pytest.raises(sdk_exc.HttpException):
        bob.conn.network.update_subnet(sub, name="mine")


def test_cli(cli: Any, admin: Any, make_network: Any) -> None:
    net = make_network()
    out = cli("subnet", "create", "--network", net.id, "--subnet-range", "10.95.0.0/24",
              "--allocation-pool", "start=10.95.0.10,end=10.95.0.50",
              "--dns-nameserver", "8.8.4.4", "--host-route",
              "destination=10.96.0.0/24,gateway=10.95.0.1", "-f", "json", "cli-sub")
    assert out["cidr"] == "10.95.0.0/24"
    assert out["allocation_pools"] in ([{"start": "10.95.0.10", "end": "10.95.0.50"}],
                                       "10.95.0.10-10.95.0.50")
    v6 = cli("subnet", "create", "--network", net.id, "--ip-version", "6", "--subnet-range",
             "2001:db8:95::/64", "--ipv6-ra-mode", "slaac", "--ipv6-address-mode", "slaac",
             "-f", "json", "cli-v6")
    assert v6["ipv6_ra_mode"] == "slaac"
    cli("subnet", "set", "--name", "cli-renamed", "--no-dns-nameservers", out["id"])
    shown = cli("subnet", "show", out["id"], "-f", "json")
    assert shown["name"] == "cli-renamed" and shown["dns_nameservers"] in ([], "")
    listed = cli("subnet", "list", "--network", net.id, "-f", "json")
    assert {s["ID"] for s in listed} == {out["id"], v6["id"]}
    cli("subnet", "delete", out["id"], v6["id"])
    assert list(admin.network.subnets(network_id=net.id)) == []


def test_neutronclient(admin: Any, make_network: Any) -> None:
    from neutronclient.common import exceptions as nexc
    from neutronclient.v2_0 import client

    net = make_network()
    nc = client.Client(session=admin.session, region_name="RegionOne")
    made = nc.create_subnet({"subnet": {"network_id": net.id, "ip_version": 4,
                                        "cidr": "10.97.0.0/24"}})["subnet"]
    assert nc.show_subnet(made["id"])["subnet"]["gateway_ip"] == "10.97.0.1"
    with pytest.raises(nexc.BadRequest):
        nc.create_subnet({"subnet": {"network_id": net.id, "ip_version": 4,
                                     "cidr": "10.97.0.0/24"}})
    nc.delete_subnet(made["id"])
    with pytest.raises(nexc.NotFound):
        nc.show_subnet(made["id"])
