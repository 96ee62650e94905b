"""Password auth naming a user or a project by name without its domain: Keystone's 400."""

from __future__ import annotations

import httpx
import pytest

DOMAIN_MISSING = ("Expecting to find domain in {}. The server could not comply with the "
                  "request since it is either malformed or otherwise incorrect. The client "
                  "is assumed to be in error.")


def auth_body(user: dict, scope: dict | None = None) -> dict:
    body: dict = {"auth": {"identity": {"methods": ["password"],
                                        "password": {"user": user}}}}
    if scope is not None:
        body["auth"]["scope"] = scope
    return body


@pytest.mark.parametrize("user, scope, target", [
    ({"name": "admin", "password": "wrong"}, None, "user"),
    ({"name": "admin", "id": "x", "password": "wrong"}, None, "user"),
    ({"name": "admin", "domain": {"id": "default"}, "password": "right"},
     {"project": {"name": "admin"}}, "project"),
])
def test_names_need_a_domain(cloud, user, scope, target):
    if user["password"] == "right":
        user = {**user, "password": cloud.admin_password}
    reply = httpx.post(f"{cloud.auth_url}/v3/auth/tokens", json=auth_body(user, scope))
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["message"] == DOMAIN_MISSING.format(target)


def test_ids_need_no_domain(cloud, admin):
    user_id = admin.current_user_id
    reply = httpx.post(f"{cloud.auth_url}/v3/auth/tokens", json=auth_body(
        {"id": user_id, "password": cloud.admin_password},
        {"project": {"id": admin.current_project_id}}))
    assert reply.status_code == 201, reply.text
