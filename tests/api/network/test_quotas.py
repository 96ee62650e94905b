"""Networking quotas through openstacksdk, the openstack CLI and python-neutronclient:
limits, Neutron's defaults, usage details, enforcement's 409, who may read and change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from neutronclient.common import exceptions as nc_exc
from neutronclient.v2_0 import client as neutron_client
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique

DEFAULTS = {"network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50,
            "security_group": 10, "security_group_rule": 100, "subnetpool": -1,
            "rbac_policy": 10, "trunk": -1}


@pytest.fixture
def member(make_member: Callable[..., Any], admin: Any) -> Iterator[Any]:
    """A member of a fresh project; its networks and quotas are removed after."""
    who = make_member()
    yield who
    for net in admin.network.networks(project_id=who.project.id):
        admin.network.delete_network(net, ignore_missing=True)
    admin.network.delete(f"/quotas/{who.project.id}")


def error_body(err: pytest.ExceptionInfo[sdk_exc.HttpException]) -> Any:
    response = err.value.response
    assert response is not None
    return response.json()


def raw(conn: Any, method: str, path: str, **kw: Any) -> Any:
    return getattr(conn.network, method)(path, raise_exc=False, **kw)


def test_defaults_are_neutrons(admin: Any, member: Any, cli: Callable[..., Any]) -> None:
    body = raw(admin, "get", f"/quotas/{member.project.id}/default").json()
    assert body == {"quota": DEFAULTS}
    assert raw(admin, "get", f"/quotas/{member.project.id}").json() == {"quota": DEFAULTS}
    shown = cli("quota", "show", "--default", "--network", "-f", "json")
    rows = {r["Resource"]: r["Limit"] for r in shown} if isinstance(shown, list) else shown
    assert rows["networks"] == 100 and rows["ports"] == 500 and rows["subnet_pools"] == -1


def test_cli_set_limits_and_enforces(admin: Any, member: Any, cli: Callable[..., Any]) -> None:
    cli("quota", "set", "--networks", "2", member.project.id)
    quota = admin.network.get_quota(member.project.id)
    assert quota.networks == 2 and quota.ports == 500
    listed = raw(admin, "get", "/quotas").json()["quotas"]
    mine = [q for q in listed if q["project_id"] == member.project.id]
    assert mine == [{**DEFAULTS, "network": 2, "project_id": member.project.id,
                     "tenant_id": member.project.id}]
    for _ in range(2):
        member.conn.network.create_network(name=unique("q"))
    with pytest.raises(sdk_exc.ConflictException) as err:
        member.conn.network.create_network(name=unique("q"))
    assert error_body(err) == {"NeutronError": {
        "type": "OverQuota", "message": "Quota exceeded for resources: ['network'].",
        "detail": ""}}
    assert len(list(admin.network.networks(project_id=member.project.id))) == 2
    details = raw(admin, "get", f"/quotas/{member.project.id}/details").json()["quota"]
    assert details["network"] == {"limit": 2, "used": 2, "reserved": 0}
    assert details["port"] == {"limit": 500, "used": 0, "reserved": 0}
    usage = cli("quota", "show", "--usage", "--network", member.project.id, "-f", "json")
    rows = {r["Resource"]: r for r in usage}
    assert rows["networks"]["In Use"] == 2 and rows["networks"]["Limit"] == 2


def test_unlimited_and_reset(admin: Any, member: Any) -> None:
    admin.network.update_quota(member.project.id, networks=-1)
    assert admin.network.get_quota(member.project.id).networks == -1
    member.conn.network.create_network(name=unique("q"))
    assert raw(admin, "delete", f"/quotas/{member.project.id}").status_code == 204
    assert raw(admin, "get", f"/quotas/{member.project.id}").json() == {"quota": DEFAULTS}
    assert all(q["project_id"] != member.project.id
               for q in raw(admin, "get", "/quotas").json()["quotas"])


def test_a_project_reads_its_own_only(admin: Any, member: Any,
                                      make_member: Callable[..., Any]) -> None:
    admin.network.update_quota(member.project.id, networks=7)
    own = raw(member.conn, "get", f"/quotas/{member.project.id}")
    assert own.status_code == 200 and own.json()["quota"]["network"] == 7
    assert raw(member.conn, "get", f"/quotas/{member.project.id}/details").status_code == 200
    other = make_member()
    assert raw(other.conn, "get", f"/quotas/{member.project.id}").status_code == 403
    assert raw(other.conn, "get", "/quotas").status_code == 403
    own_id = raw(member.conn, "get", "/quotas/project").json()
    assert own_id == {"project": {"project_id": member.project.id}}


def test_member_cannot_change_quotas(admin: Any, member: Any) -> None:
    for method, kw in (("put", {"json": {"quota": {"network": 1000}}}), ("delete", {})):
        resp = raw(member.conn, method, f"/quotas/{member.project.id}", **kw)
        assert resp.status_code == 403
        assert resp.json()["NeutronError"]["type"] == "PolicyNotAuthorized"
    assert admin.network.get_quota(member.project.id).networks == 100


@pytest.mark.parametrize("body, fragment", [
    ({"quota": {"networkz": 5}}, "Unrecognized attribute(s) 'networkz'"),
    ({"quota": {"network": "abc"}}, "'abc' is not an integer"),
    ({"quota": {"network": -2}}, "'-2' is not in range -1 through 2147483647"),
    ({"quota": {"network": 2**31}}, "is not in range -1 through 2147483647"),
    ({"quotas": {"network": 5}}, "Unable to find 'quota' in request body"),
    ({"quota": [1]}, "Unable to find 'quota' in request body"),
])
def test_bad_input_is_refused_and_writes_nothing(admin: Any, member: Any, body: Any,
                                                 fragment: str) -> None:
    resp = raw(admin, "put", f"/quotas/{member.project.id}", json=body)
    assert resp.status_code == 400, resp.text
    assert fragment in resp.json()["NeutronError"]["message"]
    assert all(q["project_id"] != member.project.id
               for q in raw(admin, "get", "/quotas").json()["quotas"])


def test_limit_below_usage_needs_force(admin: Any, member: Any) -> None:
    member.conn.network.create_network(name=unique("q"))
    member.conn.network.create_network(name=unique("q"))
    resp = raw(admin, "put", f"/quotas/{member.project.id}", json={"quota": {"network": 1}})
    assert resp.status_code == 400
    assert "must be greater than or equal to already used 2" in resp.text
    assert admin.network.get_quota(member.project.id).networks == 100
    forced = raw(admin, "put", f"/quotas/{member.project.id}",
                 json={"quota": {"network": 1, "force": True}})
    assert forced.status_code == 200 and forced.json()["quota"]["network"] == 1


def test_post_is_not_supported(admin: Any) -> None:
    resp = raw(admin, "post", "/quotas", json={"quota": {"network": 1}})
    assert resp.status_code == 501


def test_neutronclient(admin: Any, member: Any) -> None:
    nc = neutron_client.Client(session=admin.session, region_name="RegionOne")
    nc.update_quota(member.project.id, {"quota": {"port": 42}})
    assert nc.show_quota(member.project.id)["quota"]["port"] == 42
    assert nc.show_quota_default(member.project.id)["quota"]["port"] == 500
    assert nc.show_quota_details(member.project.id)["quota"]["port"]["limit"] == 42
    nc.delete_quota(member.project.id)
    assert nc.show_quota(member.project.id)["quota"]["port"] == 500
    member_nc = neutron_client.Client(session=member.session, region_name="RegionOne")
    with pytest.raises(nc_exc.Forbidden):
        member_nc.update_quota(member.project.id, {"quota": {"port": 1}})
