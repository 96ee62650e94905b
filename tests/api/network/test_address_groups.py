"""Address groups through openstacksdk and the openstack CLI: CIDRs stored normalised,
add/remove actions all or nothing, rules naming them as remote, in-use protection, bad
input and per-project isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import unique
from tests.api.network._security_groups_fixtures import fault, project_with  # noqa: F401

GROUPS = "/address-groups"


@pytest.fixture
def proj(project_with: Callable[..., Any]) -> Any:  # noqa: F811
    return project_with()


@pytest.fixture
def ag(proj: Any) -> Any:
    made = proj.conn.network.create_address_group(name=unique("ag"),
                                                  addresses=["10.0.0.0/24"])
    yield made
    proj.conn.network.delete_address_group(made, ignore_missing=True)


def addresses(conn: Any, group_id: str) -> list[str]:
    return list(conn.network.get_address_group(group_id).addresses)


def test_cli_create_show_set_unset_list_delete(cli: Any, proj: Any) -> None:
    name = unique("cli-ag")
    made = cli("address", "group", "create", name, "--description", "office",
               "--address", "10.0.0.5/24", "--address", "192.168.1.1",
               "--address", "2001:db8::1/64", "-f", "json", env=proj.env)
    # Stored as networks: host bits dropped, a plain address is its /32.
    assert sorted(made["addresses"]) == ["10.0.0.0/24", "192.168.1.1/32", "2001:db8::/64"]
    assert (made["name"], made["description"]) == (name, "office")
    assert made["project_id"] == proj.project.id
    cli("address", "group", "set", made["id"], "--address", "172.16.0.0/12", "--name",
        name + "-2", env=proj.env)
    cli("address", "group", "unset", made["id"], "--address", "192.168.1.1", env=proj.env)
    shown = cli("address", "group", "show", made["id"], "-f", "json", env=proj.env)
    assert sorted(shown["addresses"]) == ["10.0.0.0/24", "172.16.0.0/12", "2001:db8::/64"]
    assert shown["name"] == name + "-2"
    listed = cli("address", "group", "list", "-f", "json", env=proj.env)
    assert [g["ID"] for g in listed] == [made["id"]]
    cli("address", "group", "delete", made["id"], env=proj.env)
    assert list(proj.conn.network.address_groups()) == []


def test_the_view_and_the_actions(proj: Any, ag: Any) -> None:
    net = proj.conn.network
    resp = net.get(f"{GROUPS}/{ag.id}")
    body = resp.json()["address_group"]
    assert set(body) == {"id", "name", "description", "project_id", "tenant_id", "addresses",
                         "created_at", "updated_at", "revision_number"}
    resp = net.put(f"{GROUPS}/{ag.id}/add_addresses",
                   json={"addresses": ["10.0.1.0/24", "10.0.2.9/32"]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["address_group"]["addresses"] == ["10.0.0.0/24", "10.0.1.0/24",
                                                         "10.0.2.9/32"]
    # Adding what is there, or removing what is not, changes nothing at all.
    resp = net.put(f"{GROUPS}/{ag.id}/add_addresses",
                   json={"addresses": ["10.0.3.0/24", "10.0.0.7/24"]})
    assert (resp.status_code, fault(resp)["type"]) == (400, "AddressesAlreadyExist")
    assert "['10.0.0.0/24']" in fault(resp)["message"]
    resp = net.put(f"{GROUPS}/{ag.id}/remove_addresses",
                   json={"addresses": ["10.0.1.0/24", "10.9.0.0/16"]})
    assert (resp.status_code, fault(resp)["type"]) == (404, "AddressesNotFound")
    assert addresses(proj.conn, ag.id) == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.9/32"]
    net.remove_addresses_from_address_group(ag, ["10.0.1.0/24"])
    assert addresses(proj.conn, ag.id) == ["10.0.0.0/24", "10.0.2.9/32"]


@pytest.mark.parametrize("bad", [["10.0.0.300/24"], ["10.0.0.5"], ["nope"], "10.0.0.0/24",
                                 ["10.0.0.0/24", "10.0.0.0/24"], [" 10.0.0.0/24"], [5]])
def test_bad_addresses_are_refused_and_nothing_is_written(proj: Any, ag: Any,
                                                          bad: Any) -> None:
    """On create Neutron's attribute map asks for CIDRs with their mask (subnet_list)."""
    net = proj.conn.network
    resp = net.post(GROUPS, json={"address_group": {"name": "x", "addresses": bad}})
    assert (resp.status_code, fault(resp)["type"]) == (400, "InvalidInput"), resp.text
    assert [g.id for g in net.address_groups()] == [ag.id]


@pytest.mark.parametrize("bad", [["10.0.0.300/24"], ["nope"], "10.0.0.0/24", [5]])
def test_bad_addresses_to_add_change_nothing(proj: Any, ag: Any, bad: Any) -> None:
    """The actions read addresses as netaddr does: a plain address is its /32."""
    net = proj.conn.network
    resp = net.put(f"{GROUPS}/{ag.id}/add_addresses", json={"addresses": bad})
    assert resp.status_code == 400, resp.text
    assert addresses(proj.conn, ag.id) == ["10.0.0.0/24"]
    net.add_addresses_to_address_group(ag, ["10.0.9.1"])
    assert addresses(proj.conn, ag.id) == ["10.0.0.0/24", "10.0.9.1/32"]


def test_other_bad_input(proj: Any, ag: Any) -> None:
    net = proj.conn.network
    for body in ({"address_group": {"name": "x", "shared": True}},
                 {"address_group": {"name": "x" * 256}},
                 {"address_group": {"name": "x", "description": "d" * 1025}}):
        resp = net.post(GROUPS, json=body)
        assert resp.status_code == 400, resp.text
    resp = net.put(f"{GROUPS}/{ag.id}", json={"address_group": {"addresses": []}})
    assert resp.status_code == 400
    resp = net.put(f"{GROUPS}/{ag.id}/add_addresses", json={"addrs": ["10.1.0.0/16"]})
    assert resp.status_code == 400
    assert [g.id for g in net.address_groups()] == [ag.id]


def test_rules_name_an_address_group_and_keep_it(cli: Any, proj: Any, ag: Any) -> None:
    net = proj.conn.network
    sg = net.create_security_group(name=unique("sg"))
    rule = cli("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
               "--remote-address-group", ag.id, "--ingress", sg.id, "-f", "json",
               env=proj.env)
    assert (rule["remote_address_group_id"], rule["remote_ip_prefix"]) == (ag.id, None)
    resp = net.delete(f"{GROUPS}/{ag.id}")
    assert resp.status_code == 409
    assert fault(resp) == {"type": "AddressGroupInUse", "detail": "",
                           "message": f"Address group {ag.id} is in use on one or more "
                                      "security group rules."}
    net.delete_security_group_rule(rule["id"])
    net.delete_address_group(ag)
    net.delete_security_group(sg)


def test_another_project_cannot_see_or_use_it(proj: Any, project_with: Any,  # noqa: F811
                                              ag: Any) -> None:
    other = project_with()
    net = other.conn.network
    assert list(net.address_groups()) == []
    for method, path, body in [("get", f"{GROUPS}/{ag.id}", None),
                               ("put", f"{GROUPS}/{ag.id}", {"address_group": {"name": "m"}}),
                               ("put", f"{GROUPS}/{ag.id}/add_addresses",
                                {"addresses": ["10.5.0.0/16"]}),
                               ("delete", f"{GROUPS}/{ag.id}", None)]:
        resp = getattr(net, method)(path, **({"json": body} if body else {}))
        assert resp.status_code == 404, (method, path, resp.text)
    sg = net.create_security_group(name=unique("sg"))
    resp = net.post("/security-group-rules", json={"security_group_rule": {
        "security_group_id": sg.id, "direction": "ingress", "remote_address_group_id": ag.id}})
    assert (resp.status_code, fault(resp)["type"]) == (404, "AddressGroupNotFound")
    assert addresses(proj.conn, ag.id) == ["10.0.0.0/24"]
    # A reader of the owning project reads it but changes nothing.
    reader = proj.reader.network
    assert reader.get_address_group(ag.id).id == ag.id
    resp = reader.put(f"{GROUPS}/{ag.id}/add_addresses", json={"addresses": ["10.6.0.0/16"]})
    assert resp.status_code == 403
    assert addresses(proj.conn, ag.id) == ["10.0.0.0/24"]
