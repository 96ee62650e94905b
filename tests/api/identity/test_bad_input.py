"""Bad input gets a 4xx in Keystone's format and changes nothing. No client sends malformed
bodies, so these requests are built by hand, with a real token from keystoneauth1."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import password_session, unique


@pytest.fixture(scope="module")
def api(cloud):
    token = password_session(cloud, "admin", cloud.admin_password).get_token()
    with httpx.Client(base_url=f"{cloud.url}/identity/v3",
                      headers={"X-Auth-Token": token}, timeout=30) as client:
        yield client


def assert_keystone_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == status and body["error"]["title"]
    assert "Traceback" not in response.text
    return body["error"]


def project_count(api) -> int:
    return len(api.get("/projects").json()["projects"])


BAD_BODIES = [
    (b"{not json", 400),
    (b'["a list"]', 400),
    (b'{"project": "a string"}', 400),
    (b'{"project": {}}', 400),
    (b'{"project": {"name": 42}}', 400),
    (b'{"project": {"name": "x", "enabled": "yes"}}', 400),
    (b'{"project": {"name": "x", "tags": "not-a-list"}}', 400),
    (b'{"project": {"name": "x", "tags": ["a,b"]}}', 400),
    (b'{"project": {"name": "x", "domain_id": "no-such-domain"}}', 400),
    (b'{"project": {"name": "x", "parent_id": "no-such-parent"}}', 400),
    (b'{"project": {"name": "x", "options": {"no_such_option": true}}}', 400),
    (b'{"project": {"name": ""}}', 400),
    (b'{"project": {"name": "   "}}', 400),
]


@pytest.mark.parametrize("body,status", BAD_BODIES)
def test_bad_project_bodies_change_nothing(api, body, status):
    before = project_count(api)
    response = api.post("/projects", content=body, headers={"Content-Type": "application/json"})
    assert_keystone_error(response, status)
    assert project_count(api) == before


def test_64k_name_is_refused(api):
    before = project_count(api)
    response = api.post("/projects", json={"project": {"name": "n" * 65536}})
    assert_keystone_error(response, 400)
    assert project_count(api) == before


def test_oversized_body_is_413(api):
    response = api.post("/projects", content=b"{" + b" " * 200_000 + b"}",
                        headers={"Content-Type": "application/json"})
    assert_keystone_error(response, 413)


def test_oversized_chunked_body_is_413(api):
    def chunks():
        for _ in range(40):
            yield b" " * 8192

    response = api.post("/projects", content=chunks(),
                        headers={"Content-Type": "application/json"})
    assert_keystone_error(response, 413)


@pytest.mark.parametrize("name", ["żółw-🐢-項目", "x'; DROP TABLE identity_project; --",
                                  "a\"b\\c", "<script>alert(1)</script>"])
def test_odd_names_round_trip(api, name):
    name = name + unique("")
    created = api.post("/projects", json={"project": {"name": name}})
    assert created.status_code == 201, created.text
    project = created.json()["project"]
    assert api.get(f"/projects/{project['id']}").json()["project"]["name"] == name
    assert api.delete(f"/projects/{project['id']}").status_code == 204


def test_unknown_path_and_method(api):
    assert_keystone_error(api.get("/no-such-thing"), 404)
    response = api.put("/projects")
    assert_keystone_error(response, 405)


def test_bad_auth_requests(cloud):
    url = f"{cloud.url}/identity/v3/auth/tokens"
    for body in (b"", b"{", b'{"auth": {}}', b'{"auth": {"identity": {"methods": "password"}}}',
                 b'{"auth": {"identity": {"methods": ["password"], "password": {"user": 1}}}}'):
        assert_keystone_error(httpx.post(url, content=body), 400)
    unsupported = {"auth": {"identity": {"methods": ["totp"]}}}
    assert_keystone_error(httpx.post(url, json=unsupported), 401)


def test_missing_and_garbage_tokens_are_401_with_www_authenticate(cloud):
    url = f"{cloud.url}/identity/v3/projects"
    for headers in ({}, {"X-Auth-Token": "garbage"}, {"X-Auth-Token": "gAAAAA" + "x" * 200}):
        response = httpx.get(url, headers=headers)
        assert_keystone_error(response, 401)
        assert response.headers["www-authenticate"].startswith("Keystone uri=")


def test_subject_token_garbage_is_404(api):
    assert_keystone_error(api.get("/auth/tokens", headers={"X-Subject-Token": "junk"}), 404)
