"""Tokens through keystoneauth1, openstacksdk and the openstack CLI."""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc

from tests.api.conftest import password_session


def test_cli_token_issue_and_revoke(cli, admin):
    issued = cli("token", "issue", "-f", "json")
    assert issued["project_id"] and issued["user_id"]
    assert admin.identity.validate_token(issued["id"]) is not None
    cli("token", "revoke", issued["id"])
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.validate_token(issued["id"])


def test_keystoneauth_password_project_scope(cloud):
    sess = password_session(cloud, "admin", cloud.admin_password, project_id=None)
    token = sess.get_token()
    assert token
    access = sess.auth.get_access(sess)
    assert access.user_id


def test_wrong_password_is_401(cloud):
    sess = password_session(cloud, "admin", "not-the-password")
    with pytest.raises(ks_exc.Unauthorized):
        sess.get_token()
