"""QoS policies and rules through the openstack CLI, openstacksdk and python-neutronclient:
every attribute, Neutron's validation and conflicts, sharing and per-project isolation, and
``qos_policy_id`` on networks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from neutronclient.v2_0 import client as neutron_client
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique


@pytest.fixture
def policies(admin: Any) -> Iterator[list[str]]:
    """Ids of policies to delete after the test (networks using them first)."""
    made: list[str] = []
    yield made
    for policy_id in made:
        for net in admin.network.networks(qos_policy_id=policy_id):
            admin.network.delete_network(net, ignore_missing=True)
        admin.network.delete_qos_policy(policy_id, ignore_missing=True)


@pytest.fixture
def manager(make_member: Callable[..., Any], admin: Any) -> Iterator[Any]:
    """A manager of a fresh project (Neutron lets a project's manager write its QoS)."""
    who = make_member("manager")
    yield who
    for net in admin.network.networks(project_id=who.project.id):
        admin.network.delete_network(net, ignore_missing=True)
    for pol in admin.network.qos_policies(project_id=who.project.id):
        admin.network.delete_qos_policy(pol, ignore_missing=True)


def error_body(err: pytest.ExceptionInfo[sdk_exc.HttpException]) -> Any:
    response = err.value.response
    assert response is not None
    return response.json()


def raw(conn: Any, method: str, path: str, **kw: Any) -> Any:
    return getattr(conn.network, method)(path, raise_exc=False, **kw)


def fault(resp: Any) -> dict[str, Any]:
    return resp.json()["NeutronError"]  # type: ignore[no-any-return]


def test_cli_policy_and_rules(cli: Callable[..., Any], policies: list[str]) -> None:
    name = unique("qos")
    pol = cli("network", "qos", "policy", "create", "--share", "--description", "10 Mbit",
              name, "-f", "json")
    policies.append(pol["id"])
    assert pol["shared"] is True and pol["description"] == "10 Mbit"
    assert pol["is_default"] is False and pol["rules"] == []
    bw = cli("network", "qos", "rule", "create", "--type", "bandwidth-limit", "--max-kbps",
             "10000", "--max-burst-kbits", "800", "--ingress", name, "-f", "json")
    assert (bw["max_kbps"], bw["max_burst_kbps"], bw["direction"]) == (10000, 800, "ingress")
    dscp = cli("network", "qos", "rule", "create", "--type", "dscp-marking", "--dscp-mark",
               "26", name, "-f", "json")
    assert dscp["dscp_mark"] == 26
    minbw = cli("network", "qos", "rule", "create", "--type", "minimum-bandwidth",
                "--min-kbps", "1000", "--egress", name, "-f", "json")
    assert minbw["min_kbps"] == 1000 and minbw["direction"] == "egress"
    cli("network", "qos", "rule", "set", "--max-kbps", "5000", name, bw["id"])
    rules = {r["Type"]: r for r in cli("network", "qos", "rule", "list", name, "-f", "json")}
    assert rules["bandwidth_limit"]["Max Kbps"] == 5000
    assert set(rules) == {"bandwidth_limit", "dscp_marking", "minimum_bandwidth"}
    shown = cli("network", "qos", "policy", "show", name, "-f", "json")
    assert shown["revision_number"] == 4
    assert {r["type"] for r in shown["rules"]} == set(rules)
    assert all(r["qos_policy_id"] == pol["id"] for r in shown["rules"])
    cli("network", "qos", "rule", "delete", name, dscp["id"])
    assert len(cli("network", "qos", "rule", "list", name, "-f", "json")) == 2
    cli("network", "qos", "policy", "delete", name)
    assert cli("network", "qos", "policy", "show", name, check=False).returncode != 0


def test_rule_types(cli: Callable[..., Any], admin: Any) -> None:
    types = {t["Type"] for t in cli("network", "qos", "rule", "type", "list", "-f", "json")}
    assert types == {"bandwidth_limit", "dscp_marking"}
    shown = cli("network", "qos", "rule", "type", "show", "bandwidth_limit", "-f", "json")
    [driver] = shown["drivers"]
    params = {p["parameter_name"]: p for p in driver["supported_parameters"]}
    assert driver["name"] == "linuxbridge"
    assert params["direction"]["parameter_values"] == ["ingress", "egress"]
    assert params["max_kbps"]["parameter_values"] == {"start": 0, "end": 2147483647}
    dscp = admin.network.get("/qos/rule-types/dscp_marking").json()["rule_type"]
    assert 46 in dscp["drivers"][0]["supported_parameters"][0]["parameter_values"]
    assert raw(admin, "get", "/qos/rule-types/nonsense").status_code == 404


def test_sdk_rules_and_aliases(admin: Any, policies: list[str]) -> None:
    pol = admin.network.create_qos_policy(name=unique("qos"))
    policies.append(pol.id)
    egress = admin.network.create_qos_bandwidth_limit_rule(pol, max_kbps=1000)
    assert egress.direction == "egress" and egress.max_burst_kbps == 0
    ingress = admin.network.create_qos_bandwidth_limit_rule(pol, max_kbps=2000,
                                                            direction="ingress")
    with pytest.raises(sdk_exc.ConflictException) as err:
        admin.network.create_qos_bandwidth_limit_rule(pol, max_kbps=3000)
    assert error_body(err)["NeutronError"]["type"] == "QoSRulesConflict"
    resp = raw(admin, "put", f"/qos/policies/{pol.id}/bandwidth_limit_rules/{ingress.id}",
               json={"bandwidth_limit_rule": {"direction": "egress"}})
    assert resp.status_code == 409
    alias = admin.network.get(f"/qos/alias_bandwidth_limit_rules/{egress.id}").json()
    assert alias == {"alias_bandwidth_limit_rule": {"id": egress.id, "max_kbps": 1000,
                                                    "max_burst_kbps": 0,
                                                    "direction": "egress"}}
    put = admin.network.put(f"/qos/alias_bandwidth_limit_rules/{egress.id}",
                            json={"alias_bandwidth_limit_rule": {"max_kbps": 1500}})
    assert put.json()["alias_bandwidth_limit_rule"]["max_kbps"] == 1500
    listed = list(admin.network.qos_bandwidth_limit_rules(pol, direction="ingress"))
    assert [r.id for r in listed] == [ingress.id]
    assert raw(admin, "delete", f"/qos/alias_bandwidth_limit_rules/{egress.id}"
               ).status_code == 204
    gone = raw(admin, "get", f"/qos/policies/{pol.id}/bandwidth_limit_rules/{egress.id}")
    assert gone.status_code == 404 and fault(gone)["type"] == "QosRuleNotFound"
    assert fault(gone)["message"] == f"QoS rule {egress.id} for policy {pol.id} could not " \
                                     "be found."


@pytest.mark.parametrize("path, body, fragment", [
    ("dscp_marking_rules", {"dscp_marking_rule": {"dscp_mark": 7}}, "'7' is not in"),
    ("dscp_marking_rules", {"dscp_marking_rule": {"dscp_mark": "x"}}, "not an integer"),
    ("bandwidth_limit_rules", {"bandwidth_limit_rule": {"max_kbps": -1}}, "too small"),
    ("bandwidth_limit_rules", {"bandwidth_limit_rule": {"max_kbps": 1, "direction": "up"}},
     "'up' is not in"),
    ("bandwidth_limit_rules", {"bandwidth_limit_rule": {}}, "Required attribute 'max_kbps'"),
    ("bandwidth_limit_rules", {"bandwidth_limit_rule": {"max_kbps": 1, "x": 1}},
     "Unrecognized attribute(s) 'x'"),
    ("minimum_bandwidth_rules", {"minimum_bandwidth_rule": {"min_kbps": 1,
                                                            "direction": "ingress"}},
     "'ingress' is not in"),
])
def test_bad_rules_are_refused(admin: Any, policies: list[str], path: str, body: Any,
                               fragment: str) -> None:
    pol = admin.network.create_qos_policy(name=unique("qos"))
    policies.append(pol.id)
    resp = raw(admin, "post", f"/qos/policies/{pol.id}/{path}", json=body)
    assert resp.status_code == 400, resp.text
    assert fragment in fault(resp)["message"]
    assert admin.network.get_qos_policy(pol.id).rules == []


def test_bad_policies_are_refused(admin: Any) -> None:
    before = {p.id for p in admin.network.qos_policies()}
    body: dict[str, Any]
    for body in ({"policy": {"name": "x" * 256}}, {"policy": {"shared": "maybe"}},
                 {"policy": {"rules": []}}, {"policy": {"bogus": 1}}):
        resp = raw(admin, "post", "/qos/policies", json=body)
        assert resp.status_code == 400, (body, resp.text)
    assert {p.id for p in admin.network.qos_policies()} == before


def test_one_default_per_project_and_new_networks_get_it(manager: Any) -> None:
    conn = manager.conn
    first = conn.network.create_qos_policy(name=unique("qos"), is_default=True)
    with pytest.raises(sdk_exc.ConflictException) as err:
        conn.network.create_qos_policy(name=unique("qos"), is_default=True)
    assert error_body(err)["NeutronError"]["type"] == \
        "QoSPolicyDefaultAlreadyExists"
    net = conn.network.create_network(name=unique("net"))
    assert net.qos_policy_id == first.id
    other = conn.network.create_qos_policy(name=unique("qos"))
    assert conn.network.update_network(net, qos_policy_id=other.id).qos_policy_id == other.id
    with pytest.raises(sdk_exc.ConflictException) as err:
        conn.network.delete_qos_policy(other)
    assert error_body(err)["NeutronError"] == {
        "type": "QosPolicyInUse", "detail": "",
        "message": f"QoS Policy {other.id} is used by network {net.id}."}
    conn.network.update_network(net, qos_policy_id=None)
    conn.network.delete_qos_policy(other)


def test_isolation_and_sharing(admin: Any, manager: Any, make_member: Callable[..., Any],
                               policies: list[str]) -> None:
    private = manager.conn.network.create_qos_policy(name=unique("qos"))
    manager.conn.network.create_qos_bandwidth_limit_rule(private, max_kbps=100)
    shared = admin.network.create_qos_policy(name=unique("qos"), shared=True)
    policies.append(shared.id)
    other = make_member()
    seen = {p.id for p in other.conn.network.qos_policies()}
    assert shared.id in seen and private.id not in seen
    for path in (f"/qos/policies/{private.id}",
                 f"/qos/policies/{private.id}/bandwidth_limit_rules"):
        resp = raw(other.conn, "get", path)
        assert resp.status_code == 404 and fault(resp)["type"] == "QosPolicyNotFound"
    assert fault(raw(other.conn, "get", f"/qos/policies/{private.id}"))["message"] == \
        f"QoS policy {private.id} could not be found."
    resp = raw(other.conn, "post", "/networks",
               json={"network": {"name": unique("n"), "qos_policy_id": private.id}})
    assert resp.status_code == 404 and fault(resp)["type"] == "QosPolicyNotFound"
    assert list(other.conn.network.networks(project_id=other.project.id)) == []
    net = other.conn.network.create_network(name=unique("n"), qos_policy_id=shared.id)
    assert net.qos_policy_id == shared.id
    other.conn.network.delete_network(net)
    # A member (not manager) may not write QoS, not even its project's; nor a shared one.
    resp = raw(other.conn, "post", "/qos/policies", json={"policy": {"name": "x"}})
    assert resp.status_code == 403
    resp = raw(other.conn, "post", f"/qos/policies/{shared.id}/dscp_marking_rules",
               json={"dscp_marking_rule": {"dscp_mark": 8}})
    assert resp.status_code == 403
    assert admin.network.get_qos_policy(shared.id).rules == []


def test_tags_on_policies(admin: Any, policies: list[str]) -> None:
    pol = admin.network.create_qos_policy(name=unique("qos"))
    policies.append(pol.id)
    assert admin.network.put(f"/qos/policies/{pol.id}/tags/red").status_code == 201
    assert admin.network.get_qos_policy(pol.id).tags == ["red"]
    assert [p.id for p in admin.network.qos_policies(tags="red")] == [pol.id]


def test_neutronclient(admin: Any, policies: list[str]) -> None:
    nc = neutron_client.Client(session=admin.session, region_name="RegionOne")
    pol = nc.create_qos_policy({"policy": {"name": unique("qos")}})["policy"]
    policies.append(pol["id"])
    nc.create_dscp_marking_rule(pol["id"], {"dscp_marking_rule": {"dscp_mark": 46}})
    shown = nc.show_qos_policy(pol["id"])["policy"]
    assert [(r["type"], r["dscp_mark"]) for r in shown["rules"]] == [("dscp_marking", 46)]
    assert pol["id"] in {p["id"] for p in nc.list_qos_policies()["policies"]}
