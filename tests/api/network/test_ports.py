"""Ports through openstacksdk, the openstack CLI and python-neutronclient: fixed IPs by
subnet and by address, IPAM that never hands an address out twice (also to concurrent
creates), MACs, allowed address pairs, extra DHCP options, bindings (admin only), DNS
assignment, port security and security groups, filters, Neutron's faults, isolation."""

from __future__ import annotations

import ipaddress
from concurrent.futures import ThreadPoolExecutor

import pytest
from keystoneauth1 import session as ks_session
from neutronclient.v2_0 import client as neutron_client
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique


@pytest.fixture
def lan(admin, make_network):
    net = make_network()
    subnet = admin.network.create_subnet(network_id=net.id, ip_version=4,
                                         cidr="10.70.0.0/24", name=unique("sub"))
    yield net, subnet
    for port in admin.network.ports(network_id=net.id):
        admin.network.delete_port(port, ignore_missing=True)


def test_fixed_ips_by_subnet_and_by_address(admin, lan):
    net, subnet = lan
    auto = admin.network.create_port(network_id=net.id)
    (ip,) = auto.fixed_ips
    assert ip["subnet_id"] == subnet.id
    assert ipaddress.ip_address(ip["ip_address"]) in ipaddress.ip_network("10.70.0.0/24")
    assert ip["ip_address"] != "10.70.0.1"          # the gateway is never handed out
    chosen = admin.network.create_port(network_id=net.id,
                                       fixed_ips=[{"ip_address": "10.70.0.50"}])
    assert chosen.fixed_ips == [{"subnet_id": subnet.id, "ip_address": "10.70.0.50"}]
    with pytest.raises(sdk_exc.ConflictException, match="already allocated"):
        admin.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.70.0.50"}])
    with pytest.raises(sdk_exc.BadRequestException):
        admin.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.99.0.5"}])
    moved = admin.network.update_port(chosen, fixed_ips=[{"ip_address": "10.70.0.51"}])
    assert moved.fixed_ips[0]["ip_address"] == "10.70.0.51"
    found = list(admin.network.ports(fixed_ips=["ip_address=10.70.0.51"]))
    assert [p.id for p in found] == [chosen.id]


def test_concurrent_creates_never_share_an_address(admin, lan):
    net, _subnet = lan

    def make(_i):
        return admin.network.create_port(network_id=net.id).fixed_ips[0]["ip_address"]

    with ThreadPoolExecutor(8) as pool:
        addresses = list(pool.map(make, range(24)))
    assert len(set(addresses)) == 24


def test_mac_pairs_dhcp_options_and_dns(admin, lan):
    net, _subnet = lan
    port = admin.network.create_port(
        network_id=net.id, mac_address="fa:16:3e:11:22:33", dns_name="web-1",
        allowed_address_pairs=[{"ip_address": "10.70.0.200"},
                               {"ip_address": "192.168.5.0/24", "mac_address":
                                "fa:16:3e:44:55:66"}],
        extra_dhcp_opts=[{"opt_name": "tftp-server", "opt_value": "10.70.0.9"}])
    assert port.mac_address == "fa:16:3e:11:22:33"
    assert {"ip_address": "10.70.0.200", "mac_address": "fa:16:3e:11:22:33"} in \
        port.allowed_address_pairs
    assert port.extra_dhcp_opts == [{"opt_name": "tftp-server", "opt_value": "10.70.0.9",
                                     "ip_version": 4}]
    (dns,) = port.dns_assignment
    assert dns["hostname"] == "web-1" and dns["fqdn"].startswith("web-1.")
    updated = admin.network.update_port(port, extra_dhcp_opts=[
        {"opt_name": "tftp-server", "opt_value": None},
        {"opt_name": "bootfile-name", "opt_value": "pxelinux.0"}])
    assert [o["opt_name"] for o in updated.extra_dhcp_opts] == ["bootfile-name"]
    with pytest.raises(sdk_exc.ConflictException):
        admin.network.create_port(network_id=net.id, mac_address="fa:16:3e:11:22:33")
    with pytest.raises(sdk_exc.ConflictException):
        admin.network.update_port(port, is_port_security_enabled=False)


def test_binding_is_admin_only(admin, make_network, make_member):
    other = make_member()
    net = other.conn.network.create_network(name=unique("mine"))
    try:
        own = other.conn.network.create_port(network_id=net.id)
        assert own.binding_host_id is None or "binding:host_id" not in own.to_dict() or \
            own.binding_host_id in ("", None)
        with pytest.raises(sdk_exc.ForbiddenException):
            other.conn.network.create_port(network_id=net.id, binding_host_id="h1")
        bound = admin.network.update_port(own.id, binding_host_id="h1")
        assert bound.binding_host_id == "h1" and bound.binding_vif_type == "bridge"
        assert bound.binding_vif_details["bridge_name"] == "brq" + net.id[:11]
        assert other.conn.network.get_port(own.id).binding_vif_type in (None, "")
    finally:
        for port in admin.network.ports(network_id=net.id):
            admin.network.delete_port(port)
        admin.network.delete_network(net)


def test_security_groups_and_port_security(admin, lan):
    net, _subnet = lan
    default = admin.network.create_port(network_id=net.id)
    assert len(default.security_group_ids) == 1
    group = admin.network.create_security_group(name=unique("g"))
    try:
        port = admin.network.update_port(default, security_group_ids=[group.id])
        assert port.security_group_ids == [group.id]
        bare = admin.network.create_port(network_id=net.id, is_port_security_enabled=False)
        assert bare.security_group_ids == [] and bare.is_port_security_enabled is False
        with pytest.raises(sdk_exc.ConflictException):
            admin.network.update_port(bare, security_group_ids=[group.id])
        assert [p.id for p in admin.network.ports(security_groups=[group.id])] == [port.id]
    finally:
        admin.network.update_port(default, security_group_ids=[])
        admin.network.delete_security_group(group)


def test_cli_and_neutronclient(cli, admin, lan):
    net, subnet = lan
    name = unique("cliport")
    made = cli("port", "create", "--network", net.id, "--fixed-ip",
               f"subnet={subnet.id},ip-address=10.70.0.77", "--allowed-address",
               "ip-address=10.70.0.78", name, "-f", "json")
    assert made["fixed_ips"][0]["ip_address"] == "10.70.0.77"
    cli("port", "set", "--name", name + "-b", "--description", "d", made["id"])
    shown = cli("port", "show", made["id"], "-f", "json")
    assert shown["name"] == name + "-b" and shown["description"] == "d"
    listed = cli("port", "list", "--network", net.id, "-f", "json")
    assert made["id"] in [p["ID"] for p in listed]
    client = neutron_client.Client(session=ks_session.Session(auth=admin.session.auth),
                                   region_name="RegionOne")
    port = client.show_port(made["id"])["port"]
    assert port["fixed_ips"][0]["ip_address"] == "10.70.0.77"
    assert client.list_ports(network_id=net.id)["ports"]
    cli("port", "delete", made["id"])


def test_bad_input_writes_nothing(admin, lan):
    net, _subnet = lan
    def own_ports():   # the DHCP agent may add its port meanwhile
        return [p.id for p in admin.network.ports(network_id=net.id)
                if p.device_owner != "network:dhcp"]

    before = own_ports()
    bodies = [{"network_id": net.id, "name": "x" * 65536},
              {"network_id": net.id, "mac_address": "01:00:00:00:00:01"},
              {"network_id": net.id, "fixed_ips": [{"ip_address": "2001:db8::5"}]},
              {"network_id": net.id, "fixed_ips": "10.70.0.5"},
              {"network_id": net.id, "allowed_address_pairs": [{"mac_address": "x"}]},
              {"network_id": net.id, "extra_dhcp_opts": [{"opt_value": "1"}]},
              {"network_id": "not-a-uuid"}, {"network_id": net.id, "bogus": True},
              {"network_id": net.id, "admin_state_up": "perhaps"}]
    for body in bodies:
        answer = admin.network.post("/ports", json={"port": body})
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
        assert set(answer.json()["NeutronError"]) == {"type", "message", "detail"}
    assert own_ports() == before


def test_another_project_cannot_use_a_private_network(admin, lan, make_member):
    net, _subnet = lan
    port = admin.network.create_port(network_id=net.id)
    other = make_member()
    with pytest.raises(sdk_exc.ResourceNotFound):
        other.conn.network.create_port(network_id=net.id)
    with pytest.raises(sdk_exc.ResourceNotFound):
        other.conn.network.get_port(port.id)
    assert port.id not in {p.id for p in other.conn.network.ports()}
    with pytest.raises(sdk_exc.ResourceNotFound):
        other.conn.network.delete_port(port.id, ignore_missing=False)
