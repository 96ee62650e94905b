"""/v3/policies (policy blobs) through the openstack CLI and openstacksdk."""

from __future__ import annotations

from pathlib import Path

import pytest
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique


def test_cli_policy_lifecycle(cli, tmp_path: Path):
    rules = tmp_path / "rules.json"
    rules.write_text('{"compute:start": "role:member"}')
    created = cli("policy", "create", "--type", "application/json", str(rules), "-f", "json")
    assert created["type"] == "application/json"
    assert created["rules"] == '{"compute:start": "role:member"}'
    listed = cli("policy", "list", "--long", "-f", "json")
    assert created["id"] in [p["ID"] for p in listed]
    rules.write_text('{"compute:stop": "role:admin"}')
    cli("policy", "set", created["id"], "--type", "text/plain", "--rules", str(rules))
    shown = cli("policy", "show", created["id"], "-f", "json")
    assert shown["type"] == "text/plain" and shown["rules"] == '{"compute:stop": "role:admin"}'
    cli("policy", "delete", created["id"])
    assert cli("policy", "show", created["id"], check=False).returncode != 0


def test_list_filters_by_type_and_keeps_extra_attributes(admin):
    kind = unique("type")
    made = [admin.identity.post("/policies", json={"policy": {
        "blob": "b", "type": kind, "owner": "team-a"}}).json()["policy"] for _ in range(2)]
    other = admin.identity.create_policy(blob="c", type=unique("type"))
    try:
        assert made[0]["owner"] == "team-a"
        assert made[0]["links"]["self"].endswith(f"/v3/policies/{made[0]['id']}")
        assert {p.id for p in admin.identity.policies(type=kind)} == {p["id"] for p in made}
        patched = admin.identity.patch(f"/policies/{made[0]['id']}",
                                       json={"policy": {"blob": "new"}}).json()["policy"]
        assert patched["blob"] == "new" and patched["owner"] == "team-a"
        assert patched["type"] == kind
    finally:
        for policy in made:
            admin.identity.delete_policy(policy["id"])
        admin.identity.delete_policy(other)


@pytest.mark.parametrize("body", [
    {"type": "x"}, {"blob": "x"}, {"blob": 3, "type": "x"}, {"blob": "x", "type": "t" * 256},
])
def test_create_bad_input_writes_nothing(admin, body):
    before = {p.id for p in admin.identity.policies()}
    reply = admin.identity.post("/policies", json={"policy": body})
    assert reply.status_code == 400, reply.text
    assert {p.id for p in admin.identity.policies()} == before


def test_update_refusals_and_missing_policy(admin):
    policy = admin.identity.create_policy(blob="b", type="t")
    try:
        path = f"/policies/{policy.id}"
        moved = admin.identity.patch(path, json={"policy": {"id": "other"}})
        assert moved.status_code == 400
        assert moved.json()["error"]["message"] == "Cannot change policy ID"
        assert admin.identity.patch(path, json={"policy": {}}).status_code == 400
        assert admin.identity.get_policy(policy.id).blob == "b"
        with pytest.raises(sdk_exc.NotFoundException) as missing:
            admin.identity.get_policy("nope")
        assert "Could not find policy: nope." in str(missing.value)
    finally:
        admin.identity.delete_policy(policy)
