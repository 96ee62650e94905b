"""GET /v3/OS-REVOKE/events through keystoneauth1: what a revocation leaves behind."""

from __future__ import annotations

import datetime as dt

import pytest
from keystoneauth1 import exceptions as ks_exc

from tests.api.conftest import password_session


def events(sess, since: str | None = None) -> list[dict]:
    query = f"?since={since}" if since else ""
    return sess.get(f"{sess.auth.auth_url}/v3/OS-REVOKE/events{query}").json()["events"]


@pytest.fixture
def admin_session(cloud):
    return password_session(cloud, "admin", cloud.admin_password, project_id=None)


def test_revocations_are_listed_as_keystone_events(cloud, admin, admin_session, make_user,
                                                   make_project, make_group):
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    since = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    user = make_user()
    victim = password_session(cloud, user.name, user.login_password)
    audit_id = victim.auth.get_access(victim).audit_id
    admin.identity.delete(f"{cloud.auth_url}/v3/auth/tokens",
                          headers={"X-Subject-Token": victim.get_token()})
    admin.identity.update_user(user, is_enabled=False)
    group = make_group()
    admin.identity.add_user_to_group(user, group)
    admin.identity.remove_user_from_group(user, group)
    project = make_project()
    admin.identity.delete_project(project)
    seen = events(admin_session, since)
    assert {"audit_id": audit_id} in [{"audit_id": e.get("audit_id")} for e in seen]
    by_audit = next(e for e in seen if e.get("audit_id") == audit_id)
    assert set(by_audit) == {"audit_id", "issued_before", "revoked_at"}
    assert by_audit["revoked_at"].endswith("Z")
    assert [e for e in seen if e.get("user_id") == user.id and "audit_id" not in e]
    assert len([e for e in seen if e.get("user_id") == user.id]) == 2  # disable, group removal
    assert [e for e in seen if e.get("project_id") == project.id]
    assert events(admin_session, "2999-01-01T00:00:00Z") == []


def test_since_must_be_a_time(admin_session):
    with pytest.raises(ks_exc.BadRequest) as refused:
        events(admin_session, "yesterday")
    assert "invalidate date format yesterday" in refused.value.response.text


def test_only_admins_read_events(cloud, make_member):
    member = make_member()
    with pytest.raises(ks_exc.Forbidden):
        events(member.session)


def test_deleting_a_group_with_roles_revokes_its_members(admin, admin_session, make_user,
                                                         make_group, make_project):
    user, group, project = make_user(), make_group(), make_project()
    admin.identity.add_user_to_group(user, group)
    admin.identity.assign_project_role_to_group(
        project, group, admin.identity.find_role("member", ignore_missing=False))
    admin.identity.delete_group(group)
    assert [e for e in events(admin_session) if e.get("user_id") == user.id]
    bystander = make_user()
    quiet = make_group()
    admin.identity.add_user_to_group(bystander, quiet)
    admin.identity.delete_group(quiet)  # no roles: nothing to revoke
    assert not [e for e in events(admin_session) if e.get("user_id") == bystander.id]
