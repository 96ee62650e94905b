"""The subnet family's stores in-process on SQLite, with port rows written directly (the
ports family is another's): subnet delete with ports on it, the DHCP port's addresses going
with the subnet, a gateway a router holds, RBAC grants ports depend on, IP availability."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.config import Settings
from nimbus.kernel.context import RequestContext
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.network.api.resource import ListQuery
from nimbus.services.network.errors import ConflictNeutron, InUse
from nimbus.services.network.models.core import IPAllocation, Port
from nimbus.services.network.schemas.subnets import NOT_SET
from nimbus.services.network.service import NetworkService

ADMIN = RequestContext(user_id="u-admin", project_id="p-admin", roles=("admin", "member"))
ALICE = RequestContext(user_id="u-alice", project_id="p-alice", roles=("member", "reader"))
BOB = RequestContext(user_id="u-bob", project_id="p-bob", roles=("member", "reader"))


@pytest.fixture
def service(tmp_path: Any) -> Iterator[NetworkService]:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)
    yield NetworkService(runtime)
    runtime.close()


def network(svc: NetworkService, ctx: RequestContext = ALICE, **kw: Any) -> dict[str, Any]:
    values = {"project_id": ctx.project_id, "name": "n", "admin_state_up": True,
              "router:external": False, "port_security_enabled": True, "shared": False,
              "provider:network_type": None, "provider:physical_network": None,
              "provider:segmentation_id": None, "segments": None, **kw}
    return svc.networks.create(ctx, values)


def subnet(svc: NetworkService, network_id: str, cidr: Any, ctx: RequestContext = ALICE,
           **kw: Any) -> dict[str, Any]:
    values = {"project_id": ctx.project_id, "network_id": network_id, "cidr": cidr,
              "ip_version": 6 if ":" in str(cidr) else 4, "subnetpool_id": NOT_SET,
              "prefixlen": NOT_SET, "use_default_subnetpool": False, "gateway_ip": NOT_SET,
              "allocation_pools": NOT_SET, "dns_nameservers": NOT_SET, "host_routes": NOT_SET,
              "enable_dhcp": True, "ipv6_ra_mode": NOT_SET, "ipv6_address_mode": NOT_SET,
              "segment_id": None, "service_types": [], "dns_publish_fixed_ip": False, **kw}
    return svc.subnets.create(ctx, values)


def port(svc: NetworkService, sub: dict[str, Any], ip: str, owner: str = "compute:nova",
         project: str = "p-alice") -> str:
    port_id = str(uuid.uuid4())
    with svc.db.session() as s, s.begin():
        s.add(Port(id=port_id, project_id=project, network_id=sub["network_id"],
                   mac_address=f"fa:16:3e:{uuid.uuid4().hex[:2]}:{uuid.uuid4().hex[:2]}:01",
                   device_owner=owner))
        s.flush()
        s.add(IPAllocation(subnet_id=sub["id"], ip_address=ip, port_id=port_id,
                           network_id=sub["network_id"]))
    return port_id


def allocations(svc: NetworkService, subnet_id: str) -> list[str]:
    with svc.db.session() as s:
        return [a.ip_address for a in s.query(IPAllocation).filter_by(subnet_id=subnet_id)]


def test_delete_refused_while_a_port_holds_an_address(service: NetworkService) -> None:
    net = network(service)
    sub = subnet(service, net["id"], "10.0.0.0/24")
    port(service, sub, "10.0.0.5")
    with pytest.raises(InUse) as err:
        service.subnets.delete(ALICE, sub["id"])
    assert err.value.neutron_type == "SubnetInUse" and err.value.status == 409
    assert service.subnets.get(ALICE, sub["id"])["id"] == sub["id"]


def test_router_interface_blocks_delete_even_on_slaac(service: NetworkService) -> None:
    net = network(service)
    sub = subnet(service, net["id"], "2001:db8::/64", ipv6_ra_mode="slaac",
                 ipv6_address_mode="slaac")
    port(service, sub, "2001:db8::1", owner="network:router_interface")
    with pytest.raises(InUse):
        service.subnets.delete(ALICE, sub["id"])


def test_dhcp_and_slaac_addresses_go_with_the_subnet(service: NetworkService) -> None:
    net = network(service)
    v4 = subnet(service, net["id"], "10.0.0.0/24")
    dhcp = port(service, v4, "10.0.0.2", owner="network:dhcp")
    service.subnets.delete(ALICE, v4["id"])
    assert allocations(service, v4["id"]) == []
    with service.db.session() as s:
        assert s.get(Port, dhcp) is not None           # the port stays, its address goes
    v6 = subnet(service, net["id"], "2001:db8::/64", ipv6_ra_mode="slaac",
                ipv6_address_mode="slaac")
    port(service, v6, "2001:db8::f816:3eff:fe00:1")
    service.subnets.delete(ALICE, v6["id"])
    assert allocations(service, v6["id"]) == []


def test_gateway_held_by_a_router_cannot_move(service: NetworkService) -> None:
    net = network(service)
    sub = subnet(service, net["id"], "10.0.0.0/24")
    router_port = port(service, sub, "10.0.0.1", owner="network:router_interface")
    with pytest.raises(InUse) as err:
        service.subnets.update(ALICE, sub["id"], {"gateway_ip": "10.0.0.254"})
    assert err.value.neutron_type == "GatewayIpInUse" and router_port in err.value.message
    assert service.subnets.get(ALICE, sub["id"])["gateway_ip"] == "10.0.0.1"


def test_rbac_grant_in_use_by_the_target_project(service: NetworkService) -> None:
    net = network(service)
    sub = subnet(service, net["id"], "10.0.0.0/24")
    grant = service.rbac_policies.create(ALICE, {
        "project_id": "p-alice", "object_type": "network", "object_id": net["id"],
        "action": "access_as_shared", "target_tenant": "p-bob", "target_project": None})
    assert service.networks.get(BOB, net["id"])["shared"] is True
    port(service, sub, "10.0.0.7", project="p-bob")
    with pytest.raises(ConflictNeutron) as err:
        service.rbac_policies.delete(ALICE, grant["id"])
    assert err.value.neutron_type == "RbacPolicyInUse"
    # A wildcard grant covers bob: now his own entry may go.
    wildcard = service.rbac_policies.create(ADMIN, {
        "project_id": "p-alice", "object_type": "network", "object_id": net["id"],
        "action": "access_as_shared", "target_tenant": "*", "target_project": None})
    service.rbac_policies.delete(ALICE, grant["id"])
    with pytest.raises(ConflictNeutron):
        service.rbac_policies.delete(ADMIN, wildcard["id"])


def test_ip_availability_counts_allocations(service: NetworkService) -> None:
    net = network(service)
    v4 = subnet(service, net["id"], "10.0.0.0/28")               # pool .2-.14: 13
    v6 = subnet(service, net["id"], "2001:db8::/124")             # pool ::1-::f: 15
    port(service, v4, "10.0.0.2", owner="network:dhcp")
    port(service, v4, "10.0.0.3")
    port(service, v6, "2001:db8::3")
    got = service.ip_availability.get(ADMIN, net["id"])
    assert (got["total_ips"], got["used_ips"]) == (28, 3)
    per = {s["subnet_id"]: (s["total_ips"], s["used_ips"]) for s in got["subnet_ip_availability"]}
    assert per == {v4["id"]: (13, 2), v6["id"]: (15, 1)}
    listed = service.ip_availability.list(ADMIN, ListQuery(filters={"ip_version": [4]}))
    assert [s["subnet_id"] for s in listed[0]["subnet_ip_availability"]] == [v4["id"]]


def test_overlap_everywhere_when_overlapping_ips_are_off(service: NetworkService) -> None:
    service.subnets.options.allow_overlapping_ips = False
    try:
        subnet(service, network(service)["id"], "10.0.0.0/24")
        with pytest.raises(Exception) as err:
            subnet(service, network(service, BOB)["id"], "10.0.0.128/25", BOB)
        assert "overlaps with another subnet" in str(err.value)
    finally:
        service.subnets.options.allow_overlapping_ips = True


def test_host_subnets_for_the_agents(service: NetworkService) -> None:
    from nimbus.services.network.service.subnets import host_subnets

    net = network(service)
    subnet(service, net["id"], "10.0.0.0/24", dns_nameservers=["10.0.0.53"],
           host_routes=[{"destination": "10.9.0.0/16", "nexthop": "10.0.0.9"}])
    subnet(service, net["id"], "2001:db8::/64", ipv6_ra_mode="slaac",
           ipv6_address_mode="slaac")
    with service.db.session() as s:
        found = host_subnets(s, [net["id"]])[net["id"]]
    assert [(x.cidr, x.ip_version) for x in found] == [("10.0.0.0/24", 4),
                                                       ("2001:db8::/64", 6)]
    assert found[0].dns_nameservers == ["10.0.0.53"] and found[0].gateway_ip == "10.0.0.1"
    assert found[0].host_routes[0].nexthop == "10.0.0.9"
    assert found[0].allocation_pools == [{"start": "10.0.0.2", "end": "10.0.0.254"}]
    assert found[1].ipv6_ra_mode == "slaac"


def test_racing_overlapping_subnets_one_wins(service: NetworkService) -> None:
    """Eight threads ask for overlapping CIDRs on one network: exactly one subnet exists."""
    from concurrent.futures import ThreadPoolExecutor

    net = network(service)

    def attempt(i: int) -> bool:
        try:
            subnet(service, net["id"], f"10.1.0.{i * 16}/28" if i else "10.1.0.0/24")
        except Exception:  # noqa: BLE001 - the overlap refusal is the expected loser
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = sum(pool.map(attempt, range(8)))
    cidrs = [s["cidr"] for s in service.subnets.list(ADMIN, ListQuery(
        filters={"network_id": [net["id"]]}))]
    assert wins == len(cidrs) and len(cidrs) >= 1
    assert "10.1.0.0/24" not in cidrs or len(cidrs) == 1


def test_racing_pool_allocations_never_share_a_prefix(service: NetworkService) -> None:
    from concurrent.futures import ThreadPoolExecutor

    pool = service.subnetpools.create(ADMIN, {
        "project_id": "p-alice", "name": "p", "prefixes": ["10.2.0.0/24"],
        "default_quota": NOT_SET, "default_prefixlen": 26, "min_prefixlen": NOT_SET,
        "max_prefixlen": NOT_SET, "is_default": False, "shared": False,
        "address_scope_id": NOT_SET, "description": ""})
    nets = [network(service)["id"] for _ in range(6)]

    def attempt(net_id: str) -> str | None:
        try:
            return str(subnet(service, net_id, NOT_SET, subnetpool_id=pool["id"],
                              ip_version=4)["cidr"])
        except Exception:  # noqa: BLE001 - the pool holds four /26s
            return None

    with ThreadPoolExecutor(max_workers=6) as workers:
        got = [c for c in workers.map(attempt, nets) if c]
    assert sorted(got) == ["10.2.0.0/26", "10.2.0.128/26", "10.2.0.192/26", "10.2.0.64/26"]
