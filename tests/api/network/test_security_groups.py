"""Security groups and rules through openstacksdk, the openstack CLI and
python-neutronclient: the default group as Neutron makes it, every attribute, Neutron's
checks and their 4xx (with nothing written), the default group's and in-use groups'
protections, ports' groups, and per-project isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from neutronclient.common import exceptions as nc_exc
from neutronclient.v2_0 import client as neutron_client

from tests.api.conftest import unique
from tests.api.network._security_groups_fixtures import fault, project_with  # noqa: F401

RULES = "/security-group-rules"
GROUPS = "/security-groups"


def rule_body(group_id: str, **kw: Any) -> dict[str, Any]:
    return {"security_group_rule": {"security_group_id": group_id, "direction": "ingress",
                                    **kw}}


def rules_of(conn: Any, group_id: str) -> list[dict[str, Any]]:
    resp = conn.network.get(f"{RULES}?security_group_id={group_id}")
    assert resp.status_code == 200, resp.text
    return list(resp.json()["security_group_rules"])


def shape(rule: dict[str, Any]) -> tuple[Any, ...]:
    return (rule["direction"], rule["ethertype"], rule["protocol"], rule["port_range_min"],
            rule["port_range_max"], rule["remote_ip_prefix"], rule["remote_group_id"])


@pytest.fixture
def proj(project_with: Callable[..., Any]) -> Any:  # noqa: F811
    return project_with()


@pytest.fixture
def group(proj: Any) -> Any:
    sg = proj.conn.network.create_security_group(name=unique("sg"), description="web")
    yield sg
    proj.conn.network.delete_security_group(sg, ignore_missing=True)


# -- the default group ---------------------------------------------------------------------

def test_first_list_makes_the_default_group_with_neutrons_four_rules(proj: Any) -> None:
    groups = list(proj.reader.network.security_groups())
    assert [g.name for g in groups] == ["default"]
    default = groups[0]
    assert default.description == "Default security group"
    assert default.project_id == proj.project.id and default.stateful is True
    assert sorted(shape(r) for r in default.security_group_rules) == sorted([
        ("egress", "IPv4", None, None, None, None, None),
        ("egress", "IPv6", None, None, None, None, None),
        ("ingress", "IPv4", None, None, None, None, default.id),
        ("ingress", "IPv6", None, None, None, None, default.id)])
    assert all(r["belongs_to_default_sg"] is True and r["description"] == ""
               for r in default.security_group_rules)
    # A second list (or a port, or another group) never makes another one.
    proj.conn.network.create_security_group(name=unique("sg"))
    assert [g.id for g in proj.conn.network.security_groups(name="default")] == [default.id]


def test_the_default_group_cannot_be_renamed_made_again_or_removed_by_a_member(
        proj: Any, admin: Any) -> None:
    default = next(proj.conn.network.security_groups(name="default"))
    resp = proj.conn.network.put(f"{GROUPS}/{default.id}",
                                 json={"security_group": {"name": "web"}})
    assert resp.status_code == 409
    assert fault(resp)["type"] == "SecurityGroupCannotUpdateDefault"
    for name in ("default", "Default"):
        resp = proj.conn.network.post(GROUPS, json={"security_group": {"name": name}})
        assert resp.status_code == 409
        assert fault(resp) == {"type": "SecurityGroupDefaultAlreadyExists",
                               "message": "Default security group already exists.",
                               "detail": ""}
    resp = proj.conn.network.delete(f"{GROUPS}/{default.id}")
    assert resp.status_code == 409
    assert fault(resp)["type"] == "SecurityGroupCannotRemoveDefault"
    # Its description may change; an admin may remove it.
    assert proj.conn.network.update_security_group(default, description="d").description == "d"
    admin.network.delete_security_group(default.id)
    assert list(admin.network.security_groups(id=default.id)) == []


def test_a_project_makes_only_its_own_default_group(proj: Any, project_with: Any) -> None:  # noqa: F811
    other = project_with()
    resp = proj.conn.network.get(f"{GROUPS}?project_id={other.project.id}")
    assert resp.status_code == 200 and resp.json()["security_groups"] == []
    assert [g.name for g in other.conn.network.security_groups()] == ["default"]


# -- groups ----------------------------------------------------------------------------------

def test_a_new_group_has_every_attribute_and_the_two_egress_rules(proj: Any) -> None:
    resp = proj.conn.network.post(GROUPS, json={"security_group": {
        "name": "web", "description": "front", "stateful": False}})
    assert resp.status_code == 201, resp.text
    sg = resp.json()["security_group"]
    assert set(sg) == {"id", "name", "description", "project_id", "tenant_id", "stateful",
                       "shared", "security_group_rules", "tags", "created_at", "updated_at",
                       "revision_number"}
    assert (sg["name"], sg["description"], sg["stateful"], sg["shared"]) == \
        ("web", "front", False, False)
    assert sg["project_id"] == sg["tenant_id"] == proj.project.id
    assert sorted(shape(r) for r in sg["security_group_rules"]) == [
        ("egress", "IPv4", None, None, None, None, None),
        ("egress", "IPv6", None, None, None, None, None)]
    rule = sg["security_group_rules"][0]
    assert set(rule) == {"id", "project_id", "tenant_id", "security_group_id", "ethertype",
                         "direction", "protocol", "port_range_min", "port_range_max",
                         "remote_ip_prefix", "remote_address_group_id", "normalized_cidr",
                         "remote_group_id", "belongs_to_default_sg", "description",
                         "created_at", "updated_at", "revision_number"}
    assert rule["belongs_to_default_sg"] is False
    proj.conn.network.delete_security_group(sg["id"])
    assert list(proj.conn.network.security_group_rules(security_group_id=sg["id"])) == []


def test_cli_group_create_list_show_set_delete(cli: Any, proj: Any) -> None:
    name = unique("cli-sg")
    made = cli("security", "group", "create", name, "--description", "d1", "--stateless",
               "--tag", "red", "-f", "json", env=proj.env)
    assert (made["name"], made["description"], made["stateful"]) == (name, "d1", False)
    assert made["tags"] == ["red"]
    listed = cli("security", "group", "list", "-f", "json", env=proj.env)
    assert {g["Name"] for g in listed} == {"default", name}
    cli("security", "group", "set", made["id"], "--name", name + "-2", "--description", "d2",
        "--stateful", env=proj.env)
    shown = cli("security", "group", "show", made["id"], "-f", "json", env=proj.env)
    assert (shown["name"], shown["description"], shown["stateful"]) == (name + "-2", "d2",
                                                                       True)
    assert shown["revision_number"] > made["revision_number"]
    cli("security", "group", "delete", made["id"], env=proj.env)
    gone = cli("security", "group", "show", made["id"], env=proj.env, check=False)
    assert gone.returncode != 0 and "No SecurityGroup found" in gone.stderr


def test_filters_fields_sorting_and_if_match(proj: Any, group: Any) -> None:
    net = proj.conn.network
    resp = net.get(f"{GROUPS}?name={group.name}&fields=id&fields=name")
    assert resp.json()["security_groups"] == [{"id": group.id, "name": group.name}]
    resp = net.get(f"{GROUPS}?stateful=true&sort_key=name&sort_dir=desc")
    assert [g["name"] for g in resp.json()["security_groups"]] == \
        sorted([group.name, "default"], reverse=True)
    resp = net.get(f"{GROUPS}?bogus=1")
    assert resp.status_code == 400
    stale = group.revision_number
    net.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                   protocol="tcp", port_range_min=22, port_range_max=22)
    # A rule added is a change of its group.
    assert net.get_security_group(group.id).revision_number > stale
    resp = net.put(f"{GROUPS}/{group.id}", json={"security_group": {"name": "x"}},
                   headers={"If-Match": f"revision_number={stale}"})
    assert resp.status_code == 412
    assert net.get_security_group(group.id).name == group.name


def test_tags_on_groups(proj: Any, group: Any) -> None:
    net = proj.conn.network
    net.set_tags(group, ["a", "b"])
    assert sorted(net.get_security_group(group.id).tags) == ["a", "b"]
    assert [g.id for g in net.security_groups(tags="a")] == [group.id]


# -- rules -----------------------------------------------------------------------------------

def test_cli_rule_with_port_range_and_remote_ip(cli: Any, proj: Any, group: Any) -> None:
    rule = cli("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port",
               "80:81", "--remote-ip", "10.0.0.5/24", "--ethertype", "IPv4", "--ingress",
               "--description", "web", group.id, "-f", "json", env=proj.env)
    assert (rule["protocol"], rule["port_range_min"], rule["port_range_max"]) == \
        ("tcp", 80, 81)
    # Neutron keeps the prefix as given (with its mask) and normalises it beside it.
    assert rule["remote_ip_prefix"] == "10.0.0.5/24"
    assert rule["normalized_cidr"] == "10.0.0.0/24"
    assert (rule["direction"], rule["ether_type"], rule["description"]) == \
        ("ingress", "IPv4", "web")
    listed = cli("security", "group", "rule", "list", group.id, "--long", "-f", "json",
                 env=proj.env)
    assert rule["id"] in {r["ID"] for r in listed}
    cli("security", "group", "rule", "delete", rule["id"], env=proj.env)
    assert rule["id"] not in {r["id"] for r in rules_of(proj.conn, group.id)}


def test_cli_rule_with_remote_group(cli: Any, proj: Any, group: Any) -> None:
    other = proj.conn.network.create_security_group(name=unique("sg"))
    rule = cli("security", "group", "rule", "create", "--protocol", "udp", "--dst-port", "53",
               "--remote-group", other.id, "--ingress", group.id, "-f", "json", env=proj.env)
    assert (rule["remote_group_id"], rule["remote_ip_prefix"]) == (other.id, None)
    assert (rule["port_range_min"], rule["port_range_max"]) == (53, 53)
    # The remote group's rules go with it (Neutron's cascade).
    proj.conn.network.delete_security_group(other)
    assert rule["id"] not in {r["id"] for r in rules_of(proj.conn, group.id)}


@pytest.mark.parametrize(("given", "stored"), [
    ({"protocol": "TCP", "port_range_min": "22", "port_range_max": 22},
     ("tcp", 22, 22, "IPv4")),
    ({"protocol": 17}, ("17", None, None, "IPv4")),
    ({"protocol": "any"}, (None, None, None, "IPv4")),
    ({"protocol": "icmp", "ethertype": "ipv6"}, ("ipv6-icmp", None, None, "IPv6")),
    ({"protocol": "icmpv6", "ethertype": "IPv6", "port_range_min": 128},
     ("ipv6-icmp", 128, None, "IPv6")),
    ({"protocol": "1", "ethertype": "IPv6"}, ("58", None, None, "IPv6")),
    ({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0}, ("icmp", 8, 0, "IPv4")),
    # The whole range is no range (Neutron's canonical form).
    ({"protocol": "tcp", "port_range_min": 1, "port_range_max": 65535},
     ("tcp", None, None, "IPv4")),
    ({"protocol": "sctp", "port_range_min": 5000, "port_range_max": 5001},
     ("sctp", 5000, 5001, "IPv4")),
    ({"protocol": "gre"}, ("gre", None, None, "IPv4")),
    ({"protocol": "132"}, ("132", None, None, "IPv4")),
])
def test_protocols_by_name_or_number(proj: Any, group: Any, given: dict[str, Any],
                                     stored: tuple[Any, ...]) -> None:
    resp = proj.conn.network.post(RULES, json=rule_body(group.id, **given))
    assert resp.status_code == 201, resp.text
    rule = resp.json()["security_group_rule"]
    assert (rule["protocol"], rule["port_range_min"], rule["port_range_max"],
            rule["ethertype"]) == stored
    shown = proj.reader.network.get(f"{RULES}/{rule['id']}").json()["security_group_rule"]
    assert shown == rule


BAD_RULES = [
    ({"protocol": "bad_protocol_name"}, 400, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": 256}, 400, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": -1}, 400, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": ["tcp"]}, 400, "SecurityGroupRuleInvalidProtocol"),
    ({"ethertype": "IPv5"}, 400, "SecurityGroupRuleInvalidEtherType"),
    ({"direction": "sideways"}, 400, "InvalidInput"),
    ({"direction": None}, 400, "InvalidInput"),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 79}, 400,
     "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_max": 6}, 400, "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_min": -16, "port_range_max": 80}, 400,
     "SecurityGroupInvalidPortValue"),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 65536}, 400,
     "SecurityGroupInvalidPortValue"),
    ({"protocol": "udp", "port_range_min": 0, "port_range_max": 10}, 400,
     "SecurityGroupInvalidPortValue"),
    ({"protocol": "tcp", "port_range_min": "eighty", "port_range_max": 80}, 400,
     "SecurityGroupInvalidPortValue"),
    ({"port_range_min": 80, "port_range_max": 80}, 400,
     "SecurityGroupProtocolRequiredWithPorts"),
    ({"protocol": "gre", "port_range_min": 80, "port_range_max": 80}, 400,
     "SecurityGroupInvalidProtocolForPort"),
    ({"protocol": "icmp", "port_range_min": 1, "port_range_max": 256}, 400,
     "SecurityGroupInvalidIcmpValue"),
    ({"protocol": "icmp", "port_range_min": 300, "port_range_max": 1}, 400,
     "SecurityGroupInvalidIcmpValue"),
    ({"protocol": "icmp", "port_range_max": 6}, 400, "SecurityGroupMissingIcmpType"),
    ({"remote_ip_prefix": "2001:db8::/64"}, 400, "SecurityGroupRuleParameterConflict"),
    ({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}, 400,
     "SecurityGroupRuleParameterConflict"),
    ({"remote_ip_prefix": "192.168.1./24"}, 400, "InvalidCIDR"),
    ({"remote_ip_prefix": "192.168.1.1/33"}, 400, "InvalidCIDR"),
    ({"remote_ip_prefix": "bad_prefix"}, 400, "InvalidCIDR"),
    ({"protocol": "ipv6-icmp", "ethertype": "IPv4"}, 400,
     "SecurityGroupEthertypeConflictWithProtocol"),
    ({"protocol": "58"}, 400, "SecurityGroupEthertypeConflictWithProtocol"),
    ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "GROUP"}, 400,
     "SecurityGroupMultipleRemoteEntites"),
    ({"remote_group_id": "bad_group_id"}, 404, "SecurityGroupNotFound"),
    ({"remote_group_id": "9b4b1e5e-0000-4000-8000-000000000000"}, 404,
     "SecurityGroupNotFound"),
    ({"remote_address_group_id": "9b4b1e5e-0000-4000-8000-000000000000"}, 404,
     "AddressGroupNotFound"),
    ({"security_group_id": "9b4b1e5e-0000-4000-8000-000000000000"}, 404,
     "SecurityGroupNotFound"),
    ({"security_group_id": "x" * 37}, 400, "InvalidInput"),
    ({"normalized_cidr": "10.0.0.0/8"}, 400, "BadRequest"),
    ({"color": "blue"}, 400, "BadRequest"),
]


@pytest.mark.parametrize(("given", "status", "kind"), BAD_RULES,
                         ids=[f"{k}-{i}" for i, (_, _, k) in enumerate(BAD_RULES)])
def test_bad_rules_are_refused_and_nothing_is_written(proj: Any, group: Any,
                                                      given: dict[str, Any], status: int,
                                                      kind: str) -> None:
    before = rules_of(proj.conn, group.id)
    given = {k: (group.id if v == "GROUP" else v) for k, v in given.items()}
    resp = proj.conn.network.post(RULES, json=rule_body(group.id, **given))
    assert (resp.status_code, fault(resp).get("type")) == (status, kind), resp.text
    assert rules_of(proj.conn, group.id) == before
    assert proj.conn.network.get_security_group(group.id).revision_number == \
        group.revision_number


def test_neutrons_words_for_bad_ports(proj: Any, group: Any) -> None:
    cases = [({"port_range_min": -16, "port_range_max": 80}, "Invalid value for port -16"),
             ({"port_range_min": 80, "port_range_max": 79},
              "For TCP/UDP protocols, port_range_min must be <= port_range_max"),
             ({"protocol": "icmp", "port_range_min": 1, "port_range_max": 256},
              "Invalid value for ICMP code (port_range_max) 256. It must be 0 to 255."),
             ({"protocol": "icmp", "port_range_max": 6},
              "ICMP code (port-range-max) 6 is provided but ICMP type (port-range-min) is "
              "missing.")]
    for given, message in cases:
        resp = proj.conn.network.post(RULES, json=rule_body(group.id, **{"protocol": "tcp",
                                                                          **given}))
        assert fault(resp)["message"] == message


def test_duplicate_rules_are_409_naming_the_rule(proj: Any, group: Any) -> None:
    net = proj.conn.network
    first = net.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                           protocol="tcp", port_range_min=66,
                                           port_range_max=67)
    for same in ({"protocol": "tcp"}, {"protocol": "6"}, {"protocol": "TCP",
                                                           "remote_ip_prefix": "0.0.0.0/0"}):
        resp = net.post(RULES, json=rule_body(group.id, port_range_min=66, port_range_max=67,
                                              **same))
        assert resp.status_code == 409
        assert fault(resp) == {"type": "SecurityGroupRuleExists", "detail": "",
                               "message": "Security group rule already exists. Rule id is "
                                          f"{first.id}."}
    # The template's egress rule exists already: asking for it again is a duplicate too.
    resp = net.post(RULES, json={"security_group_rule": {"security_group_id": group.id,
                                                         "direction": "egress"}})
    assert fault(resp)["type"] == "SecurityGroupRuleExists"


def test_bulk_rules(proj: Any, group: Any) -> None:
    net = proj.conn.network
    two = [rule_body(group.id, protocol="tcp", port_range_min=p, port_range_max=p)
           ["security_group_rule"] for p in (1001, 1002)]
    resp = net.post(RULES, json={"security_group_rules": two})
    assert resp.status_code == 201, resp.text
    assert sorted(r["port_range_min"] for r in resp.json()["security_group_rules"]) == \
        [1001, 1002]
    before = rules_of(proj.conn, group.id)
    new = rule_body(group.id, protocol="udp")["security_group_rule"]
    resp = net.post(RULES, json={"security_group_rules": [new, dict(new)]})
    assert (resp.status_code, fault(resp)["type"]) == (409, "DuplicateSecurityGroupRuleInPost")
    other = net.create_security_group(name=unique("sg"))
    resp = net.post(RULES, json={"security_group_rules": [
        new, {**new, "security_group_id": other.id}]})
    assert (resp.status_code, fault(resp)["type"]) == (400, "SecurityGroupNotSingleGroupRules")
    assert rules_of(proj.conn, group.id) == before


def test_rule_filters(proj: Any, group: Any) -> None:
    net = proj.conn.network
    net.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                   protocol="tcp", port_range_min=443, port_range_max=443,
                                   remote_ip_prefix="192.0.2.7/24")
    found = list(net.security_group_rules(security_group_id=group.id, direction="ingress"))
    assert [(r.protocol, r.port_range_min) for r in found] == [("tcp", 443)]
    resp = net.get(f"{RULES}?normalized_cidr=192.0.2.0/24&security_group_id={group.id}")
    assert [r["remote_ip_prefix"] for r in resp.json()["security_group_rules"]] == \
        ["192.0.2.7/24"]
    resp = net.get(f"{RULES}?belongs_to_default_sg=true")
    assert resp.json()["security_group_rules"]
    assert all(r["belongs_to_default_sg"] for r in resp.json()["security_group_rules"])


# -- in use: ports ---------------------------------------------------------------------------

@pytest.fixture
def network(proj: Any) -> Any:
    net = proj.conn.network.create_network(name=unique("net"))
    yield net
    for port in proj.conn.network.ports(network_id=net.id):
        proj.conn.network.delete_port(port)
    proj.conn.network.delete_network(net)


def test_a_group_in_use_by_a_port(proj: Any, group: Any, network: Any) -> None:
    net = proj.conn.network
    port = net.create_port(network_id=network.id, security_group_ids=[group.id])
    assert port.security_group_ids == [group.id]
    resp = net.delete(f"{GROUPS}/{group.id}")
    assert resp.status_code == 409
    assert fault(resp) == {"type": "SecurityGroupInUse", "detail": "",
                           "message": f"Security Group {group.id} in use."}
    resp = net.put(f"{GROUPS}/{group.id}", json={"security_group": {"stateful": False}})
    assert (resp.status_code, fault(resp)["type"]) == (409, "SecurityGroupInUse")
    assert net.update_security_group(group, name="renamed").name == "renamed"
    # Filtering ports by their groups (port-security-groups-filtering).
    assert [p.id for p in net.ports(security_groups=[group.id])] == [port.id]
    net.update_port(port, security_group_ids=[])
    net.update_security_group(group, stateful=False)
    net.delete_security_group(group)


def test_ports_take_only_groups_of_their_project(proj: Any, project_with: Any,  # noqa: F811
                                                 group: Any, network: Any) -> None:
    net = proj.conn.network
    foreign = project_with().conn.network.create_security_group(name=unique("sg"))
    port = net.create_port(network_id=network.id)
    default = next(net.security_groups(name="default"))
    assert port.security_group_ids == [default.id]
    resp = net.put(f"/ports/{port.id}", json={"port": {"security_groups": [foreign.id]}})
    assert resp.status_code == 404
    assert fault(resp) == {"type": "SecurityGroupNotFound", "detail": "",
                           "message": f"Security group {foreign.id} does not exist"}
    stateless = net.create_security_group(name=unique("sg"), stateful=False)
    resp = net.put(f"/ports/{port.id}",
                   json={"port": {"security_groups": [group.id, stateless.id]}})
    assert (resp.status_code, fault(resp)["type"]) == (409, "SecurityGroupConflict")
    assert net.get_port(port.id).security_group_ids == [default.id]


# -- who may do what -------------------------------------------------------------------------

def test_another_project_sees_and_touches_nothing(proj: Any, project_with: Any,  # noqa: F811
                                                  group: Any) -> None:
    rule = proj.conn.network.create_security_group_rule(
        security_group_id=group.id, direction="ingress", protocol="tcp",
        port_range_min=8080, port_range_max=8080)
    other = project_with().conn.network
    assert group.id not in {g.id for g in other.security_groups()}
    assert rule.id not in {r.id for r in other.security_group_rules()}
    for method, path, body in [
            ("get", f"{GROUPS}/{group.id}", None),
            ("put", f"{GROUPS}/{group.id}", {"security_group": {"name": "mine"}}),
            ("delete", f"{GROUPS}/{group.id}", None),
            ("get", f"{RULES}/{rule.id}", None),
            ("delete", f"{RULES}/{rule.id}", None),
            ("post", RULES, rule_body(group.id, protocol="udp")),
            ("post", RULES, rule_body(next(other.security_groups(name="default")).id,
                                      remote_group_id=group.id))]:
        resp = getattr(other, method)(path, **({"json": body} if body else {}))
        assert resp.status_code == 404, (method, path, resp.text)
    assert proj.conn.network.get_security_group(group.id).name == group.name
    assert len(rules_of(proj.conn, group.id)) == 3
    # Nor may a member name another project as a rule's owner in its own group.
    mine = next(other.security_groups(name="default"))
    resp = other.post(RULES, json=rule_body(mine.id, protocol="udp",
                                            tenant_id=proj.project.id))
    assert resp.status_code == 400
    assert "other than the authenticated project" in fault(resp)["message"]


def test_a_reader_reads_but_does_not_write(proj: Any, group: Any) -> None:
    reader = proj.reader.network
    assert reader.get_security_group(group.id).id == group.id
    assert rules_of(proj.reader, group.id)
    for method, path, body in [
            ("post", GROUPS, {"security_group": {"name": "r"}}),
            ("put", f"{GROUPS}/{group.id}", {"security_group": {"name": "r"}}),
            ("delete", f"{GROUPS}/{group.id}", None),
            ("post", RULES, rule_body(group.id, protocol="udp"))]:
        resp = getattr(reader, method)(path, **({"json": body} if body else {}))
        assert resp.status_code == 403, (method, path, resp.text)
    assert len(rules_of(proj.conn, group.id)) == 2


def test_an_admin_adds_a_rule_to_a_projects_group(admin: Any, proj: Any, group: Any) -> None:
    resp = admin.network.post(RULES, json=rule_body(group.id, protocol="tcp",
                                                    tenant_id=proj.project.id))
    assert resp.status_code == 201, resp.text
    rule = resp.json()["security_group_rule"]
    assert rule["project_id"] == proj.project.id
    # The group's owner reads and removes it.
    assert proj.conn.network.get_security_group_rule(rule["id"]).id == rule["id"]
    proj.conn.network.delete_security_group_rule(rule["id"])


# -- python-neutronclient --------------------------------------------------------------------

def test_neutronclient(proj: Any) -> None:
    neutron = neutron_client.Client(session=proj.session, region_name="RegionOne")
    sg = neutron.create_security_group({"security_group": {"name": "nc"}})["security_group"]
    rule = neutron.create_security_group_rule({"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "protocol": "icmp",
        "port_range_min": 8, "port_range_max": 0}})["security_group_rule"]
    assert (rule["protocol"], rule["port_range_min"], rule["port_range_max"]) == ("icmp", 8, 0)
    listed = neutron.list_security_groups(name="nc")["security_groups"]
    assert [len(g["security_group_rules"]) for g in listed] == [3]
    with pytest.raises(nc_exc.Conflict):
        neutron.create_security_group_rule({"security_group_rule": {
            "security_group_id": sg["id"], "direction": "ingress", "protocol": "icmp",
            "port_range_min": 8, "port_range_max": 0}})
    neutron.delete_security_group_rule(rule["id"])
    neutron.delete_security_group(sg["id"])
    with pytest.raises(nc_exc.NotFound):
        neutron.show_security_group(sg["id"])
