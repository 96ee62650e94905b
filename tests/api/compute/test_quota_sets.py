"""Compute quotas through openstacksdk, the openstack CLI and python-novaclient: Nova's
defaults, per-project and per-user limits, usage details, the resources each version shows,
quota classes, enforcement's 403 for the servers engineer, bad input and RBAC."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.compute._resources_fixtures import fault, raw

V21 = {"instances": 10, "cores": 20, "ram": 51200, "floating_ips": -1, "fixed_ips": -1,
       "metadata_items": 128, "key_pairs": 100, "security_groups": -1,
       "security_group_rules": -1, "injected_files": 5, "injected_file_content_bytes": 10240,
       "injected_file_path_bytes": 255, "server_groups": 10, "server_group_members": 10}
V257 = {"instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "key_pairs": 100,
        "server_groups": 10, "server_group_members": 10}


@pytest.fixture
def project(member: Any, admin: Any) -> Iterator[Any]:
    yield member
    raw(admin, "delete", f"/os-quota-sets/{member.project.id}")


def test_defaults_per_version(admin: Any, project: Any) -> None:
    pid = project.project.id
    assert raw(admin, "get", f"/os-quota-sets/{pid}").json() == \
        {"quota_set": {"id": pid, **V21}}
    v236 = raw(admin, "get", f"/os-quota-sets/{pid}/defaults", "2.36").json()["quota_set"]
    assert "floating_ips" not in v236 and "injected_files" in v236
    assert raw(admin, "get", f"/os-quota-sets/{pid}", "2.57").json() == \
        {"quota_set": {"id": pid, **V257}}


def test_cli_sets_and_shows(cli: Callable[..., Any], project: Any) -> None:
    pid = project.project.id
    cli("quota", "set", "--cores", "7", "--instances", "3", "--key-pairs", "5", pid)
    shown = cli("quota", "show", "--compute", pid, "-f", "json")
    rows = {r["Resource"]: r["Limit"] for r in shown} if isinstance(shown, list) else shown
    assert rows["cores"] == 7 and rows["instances"] == 3 and rows["key-pairs"] == 5


def test_per_user_limits_and_details(admin: Any, project: Any, nova: Any) -> None:
    pid, uid = project.project.id, project.user.id
    raw(admin, "put", f"/os-quota-sets/{pid}", json={"quota_set": {"cores": 10}})
    over = raw(admin, "put", f"/os-quota-sets/{pid}?user_id={uid}",
               json={"quota_set": {"cores": 11}})
    assert "less than or equal to 10" in fault(over, 400)
    done = raw(admin, "put", f"/os-quota-sets/{pid}?user_id={uid}",
               json={"quota_set": {"cores": 4}}).json()["quota_set"]
    assert done["cores"] == 4 and "id" not in done
    assert raw(admin, "get", f"/os-quota-sets/{pid}?user_id={uid}").json()["quota_set"][
        "cores"] == 4
    assert raw(admin, "get", f"/os-quota-sets/{pid}").json()["quota_set"]["cores"] == 10
    project.conn.compute.create_keypair(name="cr-quota-key")
    detail = raw(admin, "get", f"/os-quota-sets/{pid}/detail?user_id={uid}").json()
    assert detail["quota_set"]["key_pairs"] == {"limit": 100, "in_use": 1, "reserved": 0}
    assert detail["quota_set"]["cores"]["limit"] == 4
    below = raw(admin, "put", f"/os-quota-sets/{pid}?user_id={uid}",
                json={"quota_set": {"key_pairs": 0}})
    assert "greater than or equal to already used" in fault(below, 400)
    forced = raw(admin, "put", f"/os-quota-sets/{pid}?user_id={uid}",
                 json={"quota_set": {"key_pairs": 0, "force": True}})
    assert forced.json()["quota_set"]["key_pairs"] == 0
    assert nova.quotas.get(pid, user_id=uid).cores == 4
    assert raw(admin, "delete", f"/os-quota-sets/{pid}?user_id={uid}").status_code == 202
    assert raw(admin, "get", f"/os-quota-sets/{pid}?user_id={uid}").json()["quota_set"][
        "cores"] == 10


def test_check_for_the_servers_engineer(admin: Any, project: Any, compute_store: Any) -> None:
    from nimbus.services.compute.errors import QuotaExceeded

    pid, uid = project.project.id, project.user.id
    raw(admin, "put", f"/os-quota-sets/{pid}", json={"quota_set": {"cores": 2}})
    compute_store.quotas.check(pid, uid, {"instances": 1, "cores": 2, "ram": 512})
    with pytest.raises(QuotaExceeded) as err:
        compute_store.quotas.check(pid, uid, {"instances": 1, "cores": 4})
    assert err.value.status == 403
    assert err.value.message == ("Quota exceeded for cores: Requested 4, but already used 0 "
                                 "of 2 cores")


@pytest.mark.parametrize("version, body", [
    ("2.1", {"quota_set": {"cores": -2}}),
    ("2.1", {"quota_set": {"cores": "lots"}}),
    ("2.1", {"quota_set": {"bananas": 1}}),
    ("2.36", {"quota_set": {"floating_ips": 1}}),
    ("2.57", {"quota_set": {"injected_files": 1}}),
    ("2.1", {"quota_set": {"cores": 2 ** 31}}),
    ("2.1", {"cores": 1}),
])
def test_bad_updates_are_refused(admin: Any, project: Any, version: str,
                                 body: dict[str, Any]) -> None:
    pid = project.project.id
    fault(raw(admin, "put", f"/os-quota-sets/{pid}", version, json=body), 400)
    assert raw(admin, "get", f"/os-quota-sets/{pid}").json()["quota_set"]["cores"] == 20


def test_unknown_projects_and_rbac(admin: Any, project: Any, make_member: Any) -> None:
    pid = project.project.id
    unknown = raw(admin, "put", "/os-quota-sets/no-such-project",
                  json={"quota_set": {"cores": 1}})
    assert "not a valid project" in fault(unknown, 400)
    assert raw(project.conn, "get", f"/os-quota-sets/{pid}").status_code == 200
    assert fault(raw(project.conn, "put", f"/os-quota-sets/{pid}",
                     json={"quota_set": {"cores": 100}}), 403)
    other = make_member()
    assert fault(raw(other.conn, "get", f"/os-quota-sets/{pid}"), 403)
    assert fault(raw(other.conn, "get", f"/os-quota-sets/{pid}/detail"), 403)
    assert raw(other.conn, "get", f"/os-quota-sets/{pid}/defaults").status_code == 200
    assert fault(raw(project.conn, "delete", f"/os-quota-sets/{pid}"), 403)


def test_quota_classes(admin: Any, member: Any, nova: Any) -> None:
    old = raw(admin, "get", "/os-quota-class-sets/default", "2.1").json()["quota_class_set"]
    assert old["id"] == "default" and "server_groups" not in old and old["fixed_ips"] == -1
    v250 = raw(admin, "get", "/os-quota-class-sets/default", "2.50").json()["quota_class_set"]
    assert v250["server_groups"] == 10 and "fixed_ips" not in v250
    try:
        done = raw(admin, "put", "/os-quota-class-sets/default", "2.57",
                   json={"quota_class_set": {"instances": 50}}).json()["quota_class_set"]
        assert done["instances"] == 50 and "id" not in done
        assert raw(member.conn, "get", f"/os-quota-sets/{member.project.id}").json()[
            "quota_set"]["instances"] == 50
        assert nova.quota_classes.get("default").instances == 50
    finally:
        raw(admin, "put", "/os-quota-class-sets/default", "2.57",
            json={"quota_class_set": {"instances": 10}})
    bad = raw(admin, "put", "/os-quota-class-sets/default", "2.50",
              json={"quota_class_set": {"floating_ips": 1}})
    assert fault(bad, 400)
    assert fault(raw(member.conn, "get", "/os-quota-class-sets/default"), 403)
