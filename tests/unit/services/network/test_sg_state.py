"""The security group part of a host's state: the port's groups with their rules, the
remote groups with their members' addresses, the address groups named; and Neutron's rule
canonical form and duplicate keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimbus.config import Settings
from nimbus.kernel.context import RequestContext
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.network import api  # noqa: F401 - the stores import the API's ListQuery
from nimbus.services.network.service import network_of
from nimbus.services.network.service.sg_rules import canonical, rule_key
from nimbus.services.network.service.sg_state import security_group_state

CTX = RequestContext(user_id="u", project_id="p1", roles=("member", "reader"))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Any]:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)
    yield network_of(runtime)
    runtime.close()


def rule(group_id: str, **kw: Any) -> dict[str, Any]:
    base = {"project_id": "p1", "tenant_id": "p1", "security_group_id": group_id,
            "direction": "ingress", "ethertype": "IPv4", "protocol": None,
            "port_range_min": None, "port_range_max": None, "remote_ip_prefix": None,
            "remote_group_id": None, "remote_address_group_id": None, "description": ""}
    return {**base, **kw}


def test_host_state_has_rules_members_and_address_groups(service: Any) -> None:
    web = service.security_groups.create(CTX, {"project_id": "p1", "name": "web"})
    db = service.security_groups.create(CTX, {"project_id": "p1", "name": "db"})
    ag = service.address_groups.create(CTX, {"project_id": "p1", "name": "office",
                                             "addresses": ["192.0.2.5/24"]})
    service.security_group_rules.create(CTX, rule(web["id"], protocol="tcp",
                                                  port_range_min=80, port_range_max=80,
                                                  remote_ip_prefix="10.0.0.5/24"))
    service.security_group_rules.create(CTX, rule(web["id"], remote_group_id=db["id"]))
    service.security_group_rules.create(CTX, rule(web["id"],
                                                  remote_address_group_id=ag["id"]))
    with service.db.session() as s:
        groups, address_groups = security_group_state(s, [web["id"]])
    by_id = {g.id: g for g in groups}
    assert set(by_id) == {web["id"], db["id"]}
    prefixes = {r.remote_ip_prefix for r in by_id[web["id"]].rules}
    # The agent gets the network, never the host bits.
    assert "10.0.0.0/24" in prefixes
    assert len(by_id[web["id"]].rules) == 5 and by_id[db["id"]].member_ips == []
    assert [(a.id, a.addresses) for a in address_groups] == [(ag["id"], ["192.0.2.0/24"])]


def test_canonical_and_duplicate_keys() -> None:
    v6 = canonical(rule("g", ethertype="IPv6", protocol="icmp"))
    assert v6["protocol"] == "ipv6-icmp"
    whole = canonical(rule("g", protocol="tcp", port_range_min=1, port_range_max=65535))
    assert (whole["port_range_min"], whole["port_range_max"]) == (None, None)
    assert rule_key(rule("g", protocol="tcp")) == rule_key(rule("g", protocol="6"))
    assert rule_key(rule("g", remote_ip_prefix="0.0.0.0/0")) == rule_key(rule("g"))
    assert rule_key(rule("g", protocol="udp")) != rule_key(rule("g", protocol="tcp"))
