"""Fixtures of the security group and address group tests: projects with a member (and a
reader), the member's CLI environment, and Neutron's fault body read off a response."""

from __future__ import annotations

import os
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tests.api.conftest import connection_for, password_session
from tests.conftest import LiveCloud


def fault(resp: Any) -> dict[str, Any]:
    """The ``NeutronError`` of a refused request (``{}`` when the body has none)."""
    body = resp.json() if resp.content else {}
    return dict(body.get("NeutronError") or {})


@pytest.fixture
def project_with(cloud: LiveCloud, admin: Any, make_member: Callable[..., Any],
                 make_user: Callable[..., Any]) -> Callable[..., Any]:
    """A new project with a member (``conn``, ``session``, ``env`` for the CLI) and a
    reader (``reader``) of it."""
    def make() -> Any:
        member = make_member()
        reader_user = make_user(default_project_id=member.project.id)
        admin.identity.assign_project_role_to_user(
            member.project, reader_user, admin.identity.find_role("reader",
                                                                   ignore_missing=False))
        reader = connection_for(password_session(cloud, reader_user.name,
                                                 reader_user.login_password,
                                                 project_id=member.project.id))
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update({"OS_AUTH_URL": cloud.auth_url, "OS_IDENTITY_API_VERSION": "3",
                    "OS_USERNAME": member.user.name, "OS_PASSWORD": member.user.login_password,
                    "OS_USER_DOMAIN_ID": "default", "OS_PROJECT_ID": member.project.id,
                    "OS_REGION_NAME": "RegionOne"})
        return SimpleNamespace(conn=member.conn, session=member.session, env=env,
                               project=member.project, user=member.user, reader=reader)
    return make
