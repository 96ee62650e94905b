"""Passwords and [security_compliance]: self-service change, history, lockout, expiry,
complexity and minimum age (tempest's identity security-compliance checks among them)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import openstack
import openstack.config
import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc

from tests.api.conftest import connection_for, password_session, unique
from tests.conftest import LiveCloud, start_cloud


def member_connection(cloud: LiveCloud, admin: Any, user: Any, project: Any,
                      password: str | None = None) -> Any:
    """The user's own openstacksdk connection, scoped to a project it is a member of."""
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    return connection_for(password_session(cloud, user.name, password or user.login_password,
                                           project_id=project.id))


def can_log_in(cloud: LiveCloud, user: Any, password: str) -> bool:
    try:
        password_session(cloud, user.name, password).get_token()
    except ks_exc.Unauthorized:
        return False
    return True


# -- self-service password change --------------------------------------------------------------
def test_user_update_own_password(cloud, admin, make_user, make_project):
    """tempest: test_user_update_own_password, without its one-second sleep."""
    user = make_user()
    conn = member_connection(cloud, admin, user, make_project())
    old_token = conn.session.get_token()
    conn.identity.update_password(user.id, user.login_password, "brand-new-1")
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(old_token)
    assert not can_log_in(cloud, user, user.login_password)
    # Authenticating right after the answer, possibly within the same second: valid.
    fresh = password_session(cloud, user.name, "brand-new-1").get_token()
    assert admin.identity.validate_token(fresh) is not None


def test_password_history(cloud, admin, make_user):
    """tempest: test_password_history_check_self_service_api with
    unique_last_password_count = 2."""
    user = make_user()
    old, new1, new2 = user.login_password, "history-1", "history-2"
    admin.identity.update_password(user.id, old, new1)
    for reused in (new1, old):
        with pytest.raises(sdk_exc.BadRequestException) as err:
            admin.identity.update_password(user.id, new1, reused)
        assert "cannot be identical to a previous password" in str(err.value)
    admin.identity.update_password(user.id, new1, new2)
    # tempest's _restore_password: once through another password, the first is free again.
    admin.identity.update_password(user.id, new2, "history-3")
    admin.identity.update_password(user.id, "history-3", old)
    assert can_log_in(cloud, user, old)


def test_admin_reset_ignores_history(cloud, admin, make_user):
    user = make_user()
    admin.identity.update_user(user.id, password=user.login_password)
    assert can_log_in(cloud, user, user.login_password)


def test_wrong_original_password_is_401(admin, make_user):
    user = make_user()
    with pytest.raises(sdk_exc.HttpException) as err:
        admin.identity.update_password(user.id, "not-it", "whatever-1")
    assert err.value.status_code == 401


def test_change_password_needs_no_token(cloud, make_user):
    """Keystone guards POST /v3/users/{id}/password with the original password only."""
    import httpx

    user = make_user()
    url = f"{cloud.auth_url}/v3/users/{user.id}/password"
    ok = httpx.post(url, json={"user": {"original_password": user.login_password,
                                        "password": "no-token-1"}})
    assert ok.status_code == 204
    bad = httpx.post(url, json={"user": {"password": "x"}})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == 400
    assert httpx.get(url).status_code == 405
    assert can_log_in(cloud, user, "no-token-1")


def test_lock_password_option(cloud, admin, make_user):
    user = make_user(options={"lock_password": True})
    with pytest.raises(sdk_exc.BadRequestException) as err:
        admin.identity.update_password(user.id, user.login_password, "locked-out-1")
    assert "disallowing password changes" in str(err.value)
    assert can_log_in(cloud, user, user.login_password)
    admin.identity.update_user(user.id, password="admin-may-1")
    assert can_log_in(cloud, user, "admin-may-1")


def test_cli_user_password_set(cloud, admin, cli, client_env, make_user, make_project):
    user, project = make_user(), make_project()
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role("member"))
    env = {k: v for k, v in client_env.items() if k != "OS_CLOUD"}
    env.update({"OS_AUTH_URL": cloud.auth_url, "OS_IDENTITY_API_VERSION": "3",
                "OS_USERNAME": user.name, "OS_PASSWORD": user.login_password,
                "OS_USER_DOMAIN_ID": "default", "OS_PROJECT_ID": project.id,
                "OS_CLIENT_CONFIG_FILE": os.devnull})
    cli("user", "password", "set", "--password", "cli-new-1",
        "--original-password", user.login_password, env=env)
    assert not can_log_in(cloud, user, user.login_password)
    assert can_log_in(cloud, user, "cli-new-1")


# -- lockout ----------------------------------------------------------------------------------
def test_user_account_lockout(cloud, make_user):
    """tempest: test_user_account_lockout (2 attempts, 5 seconds)."""
    user = make_user()
    assert can_log_in(cloud, user, user.login_password)
    for _ in range(2):
        assert not can_log_in(cloud, user, "bad-" + uuid.uuid4().hex)
    with pytest.raises(ks_exc.Unauthorized) as err:
        password_session(cloud, user.name, user.login_password).get_token()
    assert "The account is locked for user" in str(err.value)
    time.sleep(5)
    assert can_log_in(cloud, user, user.login_password)


def test_success_resets_failure_count(cloud, make_user):
    user = make_user()
    assert not can_log_in(cloud, user, "bad-1")
    assert can_log_in(cloud, user, user.login_password)
    assert not can_log_in(cloud, user, "bad-2")
    assert can_log_in(cloud, user, user.login_password)


def test_ignore_lockout_option(cloud, make_user):
    user = make_user(options={"ignore_lockout_failure_attempts": True})
    for _ in range(4):
        assert not can_log_in(cloud, user, "bad-" + uuid.uuid4().hex)
    assert can_log_in(cloud, user, user.login_password)


def test_wrong_original_counts_towards_lockout(cloud, admin, make_user):
    user = make_user()
    for _ in range(2):
        with pytest.raises(sdk_exc.HttpException):
            admin.identity.update_password(user.id, "not-it", "whatever-1")
    assert not can_log_in(cloud, user, user.login_password)


# -- a cloud with every rule on -----------------------------------------------------------------
STRICT_ENV = {
    "NIMBUS_SECURITY_COMPLIANCE__PASSWORD_REGEX": r"^(?=.*\d).{8,}$",
    "NIMBUS_SECURITY_COMPLIANCE__PASSWORD_REGEX_DESCRIPTION":
        "at least 8 characters, one of them a digit",
    "NIMBUS_SECURITY_COMPLIANCE__MINIMUM_PASSWORD_AGE": "1",
    "NIMBUS_SECURITY_COMPLIANCE__PASSWORD_EXPIRES_DAYS": "90",
    "NIMBUS_SECURITY_COMPLIANCE__CHANGE_PASSWORD_UPON_FIRST_USE": "true",
}


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveCloud, Any]]:
    live = start_cloud(tmp_path_factory.mktemp("strict") / "data", extra_env=STRICT_ENV)
    config = openstack.config.OpenStackConfig(config_files=[str(live.clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    yield live, conn
    conn.close()
    live.stop()


def test_password_regex(strict):
    cloud, admin = strict
    with pytest.raises(sdk_exc.BadRequestException) as err:
        admin.identity.create_user(name=unique("weak"), domain_id="default", password="short")
    assert "at least 8 characters, one of them a digit" in str(err.value)
    assert not list(admin.identity.users(name="weak"))
    user = admin.identity.create_user(name=unique("strong"), domain_id="default",
                                      password="long-enough-1",
                                      options={"ignore_change_password_upon_first_use": True})
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.update_password(user.id, "long-enough-1", "nodigits")
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.update_user(user.id, password="nodigits")


def test_change_upon_first_use_expiry_and_minimum_age(strict):
    cloud, admin = strict
    name = unique("first")
    user = admin.identity.create_user(name=name, domain_id="default", password="initial-1")
    with pytest.raises(ks_exc.Unauthorized) as err:
        password_session(cloud, name, "initial-1").get_token()
    assert "password is expired" in str(err.value)
    # The expired password still proves who is changing it.
    admin.identity.update_password(user.id, "initial-1", "chosen-1")
    assert password_session(cloud, name, "chosen-1").get_token()
    expires = admin.identity.get_user(user.id).password_expires_at
    assert expires and expires.startswith(time.strftime("%Y", time.gmtime(time.time() +
                                                                          90 * 86400)))
    soon = admin.identity.get("/users?password_expires_at=gt:2000-01-01T00:00:00Z")
    assert user.id in [u["id"] for u in soon.json()["users"]]
    with pytest.raises(sdk_exc.BadRequestException) as err:
        admin.identity.update_password(user.id, "chosen-1", "chosen-2")
    assert "minimum password age" in str(err.value)


def test_expiry_options(strict):
    cloud, admin = strict
    name = unique("exempt")
    user = admin.identity.create_user(name=name, domain_id="default", password="exempt-pw-1",
                                      options={"ignore_change_password_upon_first_use": True,
                                               "ignore_password_expiry": True})
    assert admin.identity.get_user(user.id).password_expires_at is None
    assert password_session(cloud, name, "exempt-pw-1").get_token()


def test_bootstrap_admin_is_not_forced_to_change(strict):
    cloud, admin = strict
    assert password_session(cloud, "admin", cloud.admin_password).get_token()
