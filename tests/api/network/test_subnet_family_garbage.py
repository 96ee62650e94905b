"""Every attribute of subnets, subnet pools, address scopes and RBAC policies given values
of the wrong shape: always a 4xx in Neutron's fault body, never a 500, nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from nimbus.services.network.schemas.rbac import RBAC_POLICY
from nimbus.services.network.schemas.subnetpools import ADDRESS_SCOPE, SUBNETPOOL
from nimbus.services.network.schemas.subnets import SUBNET
from tests.api.network._subnets_fixtures import neutron

GARBAGE = [123, -1, 1.5, "x" * 300, "", [], [1], {}, {"a": 1}, None, True, "10.0.0.0/33",
           [{"start": 1, "end": None}], [{"destination": [], "nexthop": {}}]]
SPECS = [(SUBNET, "/subnets"), (SUBNETPOOL, "/subnetpools"),
         (ADDRESS_SCOPE, "/address-scopes"), (RBAC_POLICY, "/rbac-policies")]


def valid_body(rd: Any, net_id: str) -> dict[str, Any]:
    return {"subnet": {"network_id": net_id, "ip_version": 4, "cidr": "10.140.0.0/24"},
            "subnetpool": {"name": "g", "prefixes": ["10.141.0.0/16"]},
            "address_scope": {"name": "g", "ip_version": 4},
            "rbac_policy": {"object_type": "network", "object_id": net_id,
                            "action": "access_as_shared", "target_tenant": "*"}}[rd.singular]


@pytest.mark.parametrize("rd, path", SPECS, ids=[p for _, p in SPECS])
def test_no_500(admin: Any, make_network: Any, rd: Any, path: str) -> None:
    net = make_network()
    created: list[tuple[str, str]] = []
    for attr in rd.attrs:
        if not attr.post:
            continue
        for value in GARBAGE:
            body = {**valid_body(rd, net.id), attr.name: value}
            status, doc = neutron(admin, "POST", path, {rd.singular: body})
            assert status < 500, (attr.name, value, doc)
            if status == 201:
                created.append((path, doc[rd.singular]["id"]))
                neutron(admin, "DELETE", f"{path}/{doc[rd.singular]['id']}")
            else:
                assert "NeutronError" in (doc or {}), (attr.name, value, doc)
    for value in GARBAGE:
        assert neutron(admin, "POST", path, value)[0] < 500
        assert neutron(admin, "POST", path, {rd.singular: value})[0] < 500


@pytest.mark.parametrize("rd, path", SPECS, ids=[p for _, p in SPECS])
def test_no_500_on_update(admin: Any, make_network: Any, make_member: Any, rd: Any,
                          path: str) -> None:
    net = make_network()
    body = valid_body(rd, net.id)
    if rd.singular == "rbac_policy":
        body["target_tenant"] = make_member().project.id
    status, doc = neutron(admin, "POST", path, {rd.singular: body})
    assert status == 201, doc
    item_id = doc[rd.singular]["id"]
    try:
        for attr in rd.attrs:
            for value in GARBAGE:
                status, doc = neutron(admin, "PUT", f"{path}/{item_id}",
                                      {rd.singular: {attr.name: value}})
                assert status < 500, (attr.name, value, doc)
    finally:
        neutron(admin, "DELETE", f"{path}/{item_id}")
