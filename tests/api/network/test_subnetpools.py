"""Subnet pools and address scopes through openstacksdk, the CLI and python-neutronclient:
prefix allocation for subnets, prefix length bounds, the default pool, quotas, prefix
add/remove, address scope rules, bad input and per-project isolation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.conftest import unique
from tests.api.network._subnets_fixtures import fault, neutron


@pytest.fixture
def make_pool(admin: Any) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(conn: Any = None, **kw: Any) -> Any:
        kw.setdefault("name", unique("pool"))
        pool = (conn or admin).network.create_subnet_pool(**kw)
        made.append(pool)
        return pool

    yield make
    for pool in reversed(made):
        for sub in admin.network.subnets(subnetpool_id=pool.id):
            admin.network.delete_subnet(sub, ignore_missing=True)
        admin.network.delete_subnet_pool(pool, ignore_missing=True)


@pytest.fixture
def make_scope(admin: Any) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(conn: Any = None, **kw: Any) -> Any:
        kw.setdefault("name", unique("scope"))
        kw.setdefault("ip_version", 4)
        scope = (conn or admin).network.create_address_scope(**kw)
        made.append(scope)
        return scope

    yield make
    for scope in reversed(made):
        admin.network.delete_address_scope(scope, ignore_missing=True)


def test_pool_defaults_and_allocation(admin: Any, make_pool: Any, make_network: Any) -> None:
    pool = make_pool(prefixes=["10.100.0.0/16"], default_prefix_length=24)
    assert pool.ip_version == 4 and pool.prefixes == ["10.100.0.0/16"]
    assert (pool.minimum_prefix_length, pool.maximum_prefix_length,
            pool.default_prefix_length) == (8, 32, 24)
    assert pool.is_shared is False and pool.is_default is False and pool.default_quota is None
    net = make_network()
    first = admin.network.create_subnet(network_id=net.id, ip_version=4,
                                        subnetpool_id=pool.id)
    second = admin.network.create_subnet(network_id=net.id, ip_version=4,
                                         subnetpool_id=pool.id, prefixlen=26)
    assert first.cidr == "10.100.0.0/24" and first.subnet_pool_id == pool.id
    assert first.gateway_ip == "10.100.0.1"
    assert second.cidr == "10.100.1.0/26"
    third = admin.network.create_subnet(network_id=net.id, ip_version=4,
                                        subnetpool_id=pool.id, prefixlen=26)
    assert third.cidr == "10.100.1.64/26"    # the smallest free block first, as Neutron
    specific = admin.network.create_subnet(network_id=make_network().id, ip_version=4,
                                           subnetpool_id=pool.id, cidr="10.100.200.0/24")
    assert specific.cidr == "10.100.200.0/24"


@pytest.mark.parametrize("body, status, kind", [
    ({"cidr": "10.101.0.0/24"}, 409, "SubnetAllocationError"),          # already taken
    ({"cidr": "192.168.0.0/24"}, 409, "SubnetAllocationError"),         # outside the pool
    ({"prefixlen": 8}, 400, "MinPrefixSubnetAllocationError"),
    ({"prefixlen": 30}, 400, "MaxPrefixSubnetAllocationError"),
    ({"ip_version": 6}, 400, "BadRequest"),
    ({"allocation_pools": [{"start": "10.101.0.2", "end": "10.101.0.9"}]}, 400, "BadRequest"),
])
def test_pool_allocation_errors(admin: Any, make_pool: Any, make_network: Any,
                                body: dict[str, Any], status: int, kind: str) -> None:
    pool = make_pool(prefixes=["10.101.0.0/16"], min_prefixlen=16, max_prefixlen=28,
                     default_prefixlen=24)
    net = make_network()
    admin.network.create_subnet(network_id=net.id, ip_version=4, subnetpool_id=pool.id)
    req = {"network_id": net.id, "ip_version": 4, "subnetpool_id": pool.id, **body}
    got = fault(admin, "POST", "/subnets", {"subnet": req})
    assert got[:2] == (status, kind), got
    assert len(list(admin.network.subnets(subnetpool_id=pool.id))) == 1


def test_one_pool_per_network_and_version(admin: Any, make_pool: Any,
                                          make_network: Any) -> None:
    pool = make_pool(prefixes=["10.116.0.0/16"], default_prefixlen=24)
    other = make_pool(prefixes=["10.117.0.0/16"], default_prefixlen=24)
    net = make_network()
    admin.network.create_subnet(network_id=net.id, ip_version=4, subnetpool_id=pool.id)
    for extra in ({"cidr": "10.118.0.0/24"}, {"subnetpool_id": other.id}):
        got = fault(admin, "POST", "/subnets", {"subnet": {
            "network_id": net.id, "ip_version": 4, **extra}})
        assert got[:2] == (400, "NetworkSubnetPoolAffinityError"), got
    # Another IP version is free to do otherwise.
    admin.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:116::/64")
    assert len(list(admin.network.subnets(network_id=net.id))) == 2


def test_exhausted_pool(admin: Any, make_pool: Any, make_network: Any) -> None:
    pool = make_pool(prefixes=["10.102.0.0/24"], default_prefixlen=25)
    net = make_network()
    for _ in range(2):
        admin.network.create_subnet(network_id=net.id, ip_version=4, subnetpool_id=pool.id)
    got = fault(admin, "POST", "/subnets", {"subnet": {
        "network_id": make_network().id, "ip_version": 4, "subnetpool_id": pool.id}})
    assert got[:2] == (409, "SubnetAllocationError") and "Insufficient prefix space" in got[2]


def test_default_pool(admin: Any, make_pool: Any, make_network: Any) -> None:
    pool = make_pool(prefixes=["2001:db8:100::/48"], is_default=True, default_prefixlen=64)
    assert pool.is_default is True and pool.ip_version == 6
    got = fault(admin, "POST", "/subnetpools", {"subnetpool": {
        "name": "second", "prefixes": ["2001:db8:200::/48"], "is_default": True}})
    assert got[:2] == (400, "InvalidInput") and "default subnetpool" in got[2]
    sub = admin.network.create_subnet(network_id=make_network().id, ip_version=6,
                                      use_default_subnet_pool=True)
    assert sub.cidr == "2001:db8:100::/64" and sub.subnet_pool_id == pool.id
    assert sub.gateway_ip == "2001:db8:100::1"    # any-prefix requests: the first host


def test_no_default_pool(admin: Any, make_network: Any) -> None:
    if any(p.is_default and p.ip_version == 4 for p in admin.network.subnet_pools()):
        pytest.skip("a default IPv4 pool exists in this cloud")
    got = fault(admin, "POST", "/subnets", {"subnet": {
        "network_id": make_network().id, "ip_version": 4, "use_default_subnetpool": True}})
    assert got[:2] == (400, "BadRequest") and "No default subnetpool" in got[2]


def test_quota(admin: Any, make_member: Any, make_pool: Any, make_network: Any) -> None:
    alice = make_member()
    # 512 addresses: two /24s, not three.
    pool = make_pool(prefixes=["10.103.0.0/16"], default_prefixlen=24, default_quota=512,
                     shared=True)
    net = make_network(alice.conn)
    for _ in range(2):
        alice.conn.network.create_subnet(network_id=net.id, ip_version=4,
                                         subnetpool_id=pool.id)
    got = fault(alice.conn, "POST", "/subnets", {"subnet": {
        "network_id": net.id, "ip_version": 4, "subnetpool_id": pool.id}})
    assert got[:2] == (409, "SubnetPoolQuotaExceeded"), got


@pytest.mark.parametrize("body, kind", [
    ({"prefixes": []}, "EmptySubnetPoolPrefixList"),
    ({"prefixes": ["10.0.0.0/8", "2001:db8::/32"]}, "PrefixVersionMismatch"),
    ({"prefixes": ["10.0.0.0"]}, "InvalidInput"),
    ({"prefixes": ["10.0.0.0/8"], "min_prefixlen": 24, "max_prefixlen": 16},
     "IllegalSubnetPoolPrefixBounds"),
    ({"prefixes": ["10.0.0.0/8"], "max_prefixlen": 33}, "IllegalSubnetPoolPrefixBounds"),
    ({"prefixes": ["10.0.0.0/8"], "default_prefixlen": 4}, "IllegalSubnetPoolPrefixBounds"),
    ({"prefixes": ["10.0.0.0/8"], "default_quota": -1}, "InvalidInput"),
    ({"prefixes": ["10.0.0.0/8"], "name": ""}, "InvalidInput"),
    ({"prefixes": ["10.0.0.0/8"], "name": "n" * 65536}, "InvalidInput"),
    ({"prefixes": ["10.0.0.0/8"], "ip_version": 4}, "BadRequest"),
])
def test_bad_pools(admin: Any, body: dict[str, Any], kind: str) -> None:
    before = {p.id for p in admin.network.subnet_pools()}
    body.setdefault("name", unique("bad"))
    got = fault(admin, "POST", "/subnetpools", {"subnetpool": body})
    assert got[:2] == (400, kind), got
    assert {p.id for p in admin.network.subnet_pools()} == before


def test_update_and_prefix_ops(admin: Any, make_pool: Any, make_network: Any) -> None:
    pool = make_pool(prefixes=["10.104.0.0/24"], default_prefixlen=26)
    updated = admin.network.update_subnet_pool(pool, prefixes=["10.104.0.0/24",
                                                               "10.105.0.0/24"], name="wider")
    assert updated.prefixes == ["10.104.0.0/24", "10.105.0.0/24"] and updated.name == "wider"
    got = fault(admin, "PUT", f"/subnetpools/{pool.id}",
                {"subnetpool": {"prefixes": ["10.105.0.0/24"]}})
    assert got[:2] == (400, "IllegalSubnetPoolPrefixUpdate")
    status, doc = neutron(admin, "PUT", f"/subnetpools/{pool.id}/add_prefixes",
                          {"prefixes": ["10.104.1.0/24", "10.106.0.0/24"]})
    assert status == 200
    assert doc["prefixes"] == ["10.104.0.0/23", "10.105.0.0/24", "10.106.0.0/24"]
    admin.network.create_subnet(network_id=make_network().id, ip_version=4,
                                subnetpool_id=pool.id, cidr="10.106.0.0/26")
    got = fault(admin, "PUT", f"/subnetpools/{pool.id}/remove_prefixes",
                {"prefixes": ["10.106.0.0/24"]})
    assert got[:2] == (400, "IllegalSubnetPoolPrefixUpdate")
    status, doc = neutron(admin, "PUT", f"/subnetpools/{pool.id}/remove_prefixes",
                          {"prefixes": ["10.105.0.0/24"]})
    assert status == 200 and doc["prefixes"] == ["10.104.0.0/23", "10.106.0.0/24"]
    got = fault(admin, "DELETE", f"/subnetpools/{pool.id}")
    assert got[:2] == (400, "SubnetPoolDeleteError")


def test_pool_isolation_and_sharing(admin: Any, make_member: Any, make_pool: Any,
                                    make_network: Any) -> None:
    alice, bob = make_member(), make_member()
    private = make_pool(alice.conn, prefixes=["10.107.0.0/16"], default_prefixlen=24)
    assert fault(bob.conn, "GET", f"/subnetpools/{private.id}")[:2] == \
        (404, "SubnetPoolNotFound")
    got = fault(bob.conn, "POST", "/subnets", {"subnet": {
        "network_id": make_network(bob.conn).id, "ip_version": 4, "subnetpool_id": private.id}})
    assert got[:2] == (404, "SubnetPoolNotFound")
    # A member may not share a pool nor make it the default.
    for extra in ({"shared": True}, {"is_default": True}):
        got = fault(alice.conn, "POST", "/subnetpools", {"subnetpool": {
            "name": "x", "prefixes": ["10.108.0.0/16"], **extra}})
        assert got[0] == 403
    shared = make_pool(prefixes=["10.109.0.0/16"], default_prefixlen=24, shared=True)
    assert bob.conn.network.get_subnet_pool(shared.id).is_shared is True
    sub = bob.conn.network.create_subnet(network_id=make_network(bob.conn).id, ip_version=4,
                                         subnetpool_id=shared.id)
    assert sub.cidr == "10.109.0.0/24"
    assert fault(bob.conn, "PUT", f"/subnetpools/{shared.id}",
                 {"subnetpool": {"name": "mine"}})[0] in (403, 404)


def test_address_scopes(admin: Any, make_scope: Any, make_pool: Any,
                        make_network: Any) -> None:
    scope = make_scope(ip_version=4)
    assert scope.ip_version == 4 and scope.is_shared is False
    pool = make_pool(prefixes=["10.110.0.0/16"], default_prefixlen=24,
                     address_scope_id=scope.id)
    assert pool.address_scope_id == scope.id
    got = fault(admin, "POST", "/subnetpools", {"subnetpool": {
        "name": "clash", "prefixes": ["10.110.128.0/17"], "address_scope_id": scope.id}})
    assert got[:2] == (409, "AddressScopePrefixConflict")
    v6 = make_scope(ip_version=6)
    got = fault(admin, "POST", "/subnetpools", {"subnetpool": {
        "name": "wrong", "prefixes": ["10.111.0.0/16"], "address_scope_id": v6.id}})
    assert got[:2] == (400, "IllegalSubnetPoolIpVersionAssociationToAddressScope")
    net = make_network()
    admin.network.create_subnet(network_id=net.id, ip_version=4, subnetpool_id=pool.id)
    shown = admin.network.get_network(net.id)
    assert shown.ipv4_address_scope_id == scope.id and shown.ipv6_address_scope_id is None
    got = fault(admin, "DELETE", f"/address-scopes/{scope.id}")
    assert got[:2] == (409, "AddressScopeInUse")
    renamed = admin.network.update_address_scope(scope, name="renamed", shared=True)
    assert renamed.name == "renamed" and renamed.is_shared is True
    got = fault(admin, "PUT", f"/address-scopes/{scope.id}",
                {"address_scope": {"shared": False}})
    assert got[:2] == (400, "AddressScopeUpdateError")
    for body in ({"ip_version": 5, "name": "x"}, {"name": "x"},
                 {"ip_version": 4, "name": "x" * 300}):
        assert fault(admin, "POST", "/address-scopes", {"address_scope": body})[0] == 400


def test_address_scope_isolation(admin: Any, make_member: Any, make_scope: Any) -> None:
    alice, bob = make_member(), make_member()
    scope = make_scope(alice.conn, ip_version=4)
    assert fault(bob.conn, "GET", f"/address-scopes/{scope.id}")[:2] == \
        (404, "AddressScopeNotFound")
    assert scope.id not in {s.id for s in bob.conn.network.address_scopes()}
    got = fault(bob.conn, "POST", "/subnetpools", {"subnetpool": {
        "name": "x", "prefixes": ["10.112.0.0/16"], "address_scope_id": scope.id}})
    assert got[:2] == (400, "IllegalSubnetPoolAssociationToAddressScope")
    assert fault(alice.conn, "POST", "/address-scopes", {"address_scope": {
        "name": "x", "ip_version": 4, "shared": True}})[0] == 403


def test_cli(cli: Any, admin: Any, make_network: Any, cleanup: Any) -> None:
    scope = cli("address", "scope", "create", "--ip-version", "4", "-f", "json",
                unique("cli-scope"))
    cleanup(lambda: admin.network.delete_address_scope(scope["id"]))
    pool = cli("subnet", "pool", "create", "--pool-prefix", "10.113.0.0/16",
               "--default-prefix-length", "24", "--address-scope", scope["id"], "-f", "json",
               unique("cli-pool"))
    cleanup(lambda: admin.network.delete_subnet_pool(pool["id"]))
    assert pool["address_scope_id"] == scope["id"]
    assert pool["prefixes"] in (["10.113.0.0/16"], "10.113.0.0/16")
    net = make_network()
    sub = cli("subnet", "create", "--network", net.id, "--subnet-pool", pool["id"],
              "--prefix-length", "25", "-f", "json", "cli-pool-sub")
    cleanup(lambda: admin.network.delete_subnet(sub["id"]))
    assert sub["cidr"] == "10.113.0.0/25"
    cli("subnet", "pool", "set", "--pool-prefix", "10.114.0.0/16", pool["id"])
    shown = cli("subnet", "pool", "show", pool["id"], "-f", "json")
    assert "10.114.0.0/16" in str(shown["prefixes"])
    listed = cli("address", "scope", "list", "-f", "json")
    assert scope["id"] in {s["ID"] for s in listed}


def test_neutronclient(admin: Any, cleanup: Any) -> None:
    from neutronclient.common import exceptions as nexc
    from neutronclient.v2_0 import client

    nc = client.Client(session=admin.session, region_name="RegionOne")
    pool = nc.create_subnetpool({"subnetpool": {"name": unique("nc"),
                                                "prefixes": ["10.115.0.0/16"]}})["subnetpool"]
    cleanup(lambda: nc.delete_subnetpool(pool["id"]))
    assert nc.show_subnetpool(pool["id"])["subnetpool"]["min_prefixlen"] == 8
    scope = nc.create_address_scope({"address_scope": {"name": unique("nc"),
                                                       "ip_version": 6}})["address_scope"]
    nc.delete_address_scope(scope["id"])
    with pytest.raises(nexc.NotFound):
        nc.show_address_scope(scope["id"])


def test_onboard_network_subnets(admin: Any, make_pool: Any, make_network: Any) -> None:
    pool = make_pool(prefixes=["10.119.0.0/24"], default_prefixlen=26)
    net = make_network()
    plain = admin.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.119.8.0/24")
    status, doc = neutron(admin, "PUT", f"/subnetpools/{pool.id}/onboard_network_subnets",
                          {"network_id": net.id})
    assert status == 200 and doc == [{"id": plain.id, "cidr": "10.119.8.0/24"}]
    assert admin.network.get_subnet(plain.id).subnet_pool_id == pool.id
    assert admin.network.get_subnet_pool(pool.id).prefixes == ["10.119.0.0/24",
                                                               "10.119.8.0/24"]
    got = fault(admin, "PUT", f"/subnetpools/{pool.id}/onboard_network_subnets", {})
    assert got[:2] == (400, "InvalidInput")
