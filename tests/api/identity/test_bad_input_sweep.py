"""Bad input to every identity create and update call: a 4xx in Keystone's
{"error": {"code", "title", "message"}} body, never a 500, and nothing written (the admin
looks before and after). Odd but valid values — SQL-looking strings, unicode — round-trip.

No client sends malformed bodies, so these requests are built by hand with httpx, carrying
a real admin token from keystoneauth1. tests/api/identity/test_bad_input.py has the project
basics and body-size limits; this file sweeps every family.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from tests.api.conftest import password_session, unique

NEW = "<new name>"  # replaced by a fresh unique name in each request
BIG = "n" * 65536
BAD_STATUS = "4xx"  # where Keystone's exact code depends on more than the body


@dataclass(frozen=True)
class Call:
    """A create or update call: ``valid`` is a good member of the ``key`` envelope, ``state``
    the path whose content must not change when the call is refused."""
    method: str
    path: str
    key: str | None
    valid: dict[str, Any]
    state: str


CALLS = {
    "create domain": Call("POST", "/domains", "domain", {"name": NEW}, "/domains"),
    "update domain": Call("PATCH", "/domains/{domain}", "domain", {"description": "x"},
                          "/domains/{domain}"),
    "create project": Call("POST", "/projects", "project", {"name": NEW}, "/projects"),
    "update project": Call("PATCH", "/projects/{project}", "project", {"description": "x"},
                           "/projects/{project}"),
    "replace tags": Call("PUT", "/projects/{project}/tags", None, {"tags": ["ok"]},
                         "/projects/{project}/tags"),
    "create user": Call("POST", "/users", "user", {"name": NEW}, "/users"),
    "update user": Call("PATCH", "/users/{user}", "user", {"description": "x"},
                        "/users/{user}"),
    "change password": Call("POST", "/users/{user}/password", "user",
                            {"original_password": "wrong", "password": "new-pass-1"},
                            "/users/{user}"),
    "create group": Call("POST", "/groups", "group", {"name": NEW}, "/groups"),
    "update group": Call("PATCH", "/groups/{group}", "group", {"description": "x"},
                         "/groups/{group}"),
    "create role": Call("POST", "/roles", "role", {"name": NEW}, "/roles"),
    "update role": Call("PATCH", "/roles/{role}", "role", {"description": "x"},
                        "/roles/{role}"),
    "create region": Call("POST", "/regions", "region", {"id": NEW}, "/regions"),
    "create region by PUT": Call("PUT", "/regions/{new_region}", "region", {}, "/regions"),
    "update region": Call("PATCH", "/regions/{region}", "region", {"description": "x"},
                          "/regions/{region}"),
    "create service": Call("POST", "/services", "service", {"type": NEW}, "/services"),
    "update service": Call("PATCH", "/services/{service}", "service", {"name": "x"},
                           "/services/{service}"),
    "create endpoint": Call("POST", "/endpoints", "endpoint",
                            {"service_id": "{service}", "interface": "public",
                             "url": "http://ok.test/"}, "/endpoints"),
    "update endpoint": Call("PATCH", "/endpoints/{endpoint}", "endpoint", {"enabled": False},
                            "/endpoints/{endpoint}"),
    "create app cred": Call("POST", "/users/{admin}/application_credentials",
                            "application_credential", {"name": NEW},
                            "/users/{admin}/application_credentials"),
    "create credential": Call("POST", "/credentials", "credential",
                              {"type": "cert", "blob": "x", "user_id": "{admin}"},
                              "/credentials"),
    "update credential": Call("PATCH", "/credentials/{credential}", "credential",
                              {"blob": "y"}, "/credentials/{credential}"),
    "create ec2 key": Call("POST", "/users/{admin}/credentials/OS-EC2", None,
                           {"tenant_id": "{project}"}, "/credentials"),
    "create registered limits": Call("POST", "/registered_limits", None,
                                     {"registered_limits": [{"service_id": "{service}",
                                                             "resource_name": NEW,
                                                             "default_limit": 1}]},
                                     "/registered_limits"),
    "update registered limit": Call("PATCH", "/registered_limits/{unused_registered_limit}",
                                    "registered_limit", {"default_limit": 2},
                                    "/registered_limits/{unused_registered_limit}"),
    "create limits": Call("POST", "/limits", None,
                          {"limits": [{"service_id": "{service}", "resource_name": "widgets",
                                       "resource_limit": 1, "project_id": "{project2}"}]},
                          "/limits"),
    "update limit": Call("PATCH", "/limits/{limit}", "limit", {"resource_limit": 2},
                         "/limits/{limit}"),
}

# Whatever the call: not JSON, or JSON of the wrong shape.
MALFORMED = [
    ("not JSON", b"{not json"),
    ("an empty body", b""),
    ("bytes that are not UTF-8", b'{"x": "\xff\xfe"}'),
    ("a JSON list", b"[]"),
    ("a JSON string", b'"text"'),
    ("JSON null", b"null"),
]
ENVELOPE = [
    ("the member under another key", lambda key, valid: {"wrong": valid}),
    ("the member as a string", lambda key, valid: {key: "text"}),
    ("the member as a list", lambda key, valid: {key: [valid]}),
    ("the member as null", lambda key, valid: {key: None}),
]

# Per call: (call, what is wrong, member (or whole body where the call has no envelope), code)
FIELDS: list[tuple[str, str, Any, Any]] = [
    ("create domain", "no name", {"description": "x"}, 400),
    ("create domain", "a numeric name", {"name": 42}, 400),
    ("create domain", "an empty name", {"name": ""}, 400),
    ("create domain", "a blank name", {"name": "   "}, 400),
    ("create domain", "a 64 KiB name", {"name": BIG}, 400),
    ("create domain", "a null name", {"name": None}, 400),
    ("create domain", "enabled neither true nor false", {"name": NEW, "enabled": "maybe"},
     400),
    ("create domain", "enabled as a number", {"name": NEW, "enabled": 2}, 400),
    ("create domain", "tags not a list", {"name": NEW, "tags": "a"}, 400),
    ("create domain", "a tag with a comma", {"name": NEW, "tags": ["a,b"]}, 400),
    ("create domain", "an unknown option", {"name": NEW, "options": {"bogus": True}}, 400),
    ("update domain", "a numeric name", {"name": 42}, 400),
    ("update domain", "a blank name", {"name": "  "}, 400),
    ("update domain", "enabled neither true nor false", {"enabled": "maybe"}, 400),
    ("create project", "a 65-character name", {"name": "n" * 65}, 400),
    ("create project", "a null name", {"name": None}, 400),
    ("create project", "a numeric domain_id", {"name": NEW, "domain_id": 42}, 400),
    ("create project", "a numeric parent_id", {"name": NEW, "parent_id": 42}, 400),
    ("create project", "is_domain neither true nor false", {"name": NEW, "is_domain": "maybe"},
     400),
    ("create project", "a tag with a slash", {"name": NEW, "tags": ["a/b"]}, 400),
    ("create project", "a numeric tag", {"name": NEW, "tags": [7]}, 400),
    ("update project", "an empty name", {"name": ""}, 400),
    ("update project", "enabled as a list", {"enabled": [True]}, 400),
    ("update project", "a different id", {"id": "other"}, 400),
    ("update project", "a new domain", {"domain_id": "{domain}"}, 400),
    ("replace tags", "tags as a string", {"tags": "a"}, 400),
    ("replace tags", "a tag with a comma", {"tags": ["a,b"]}, 400),
    ("replace tags", "a 256-character tag", {"tags": ["t" * 256]}, 400),
    ("replace tags", "81 tags", {"tags": [f"t{i}" for i in range(81)]}, 400),
    ("replace tags", "tags null", {"tags": None}, 400),
    ("create user", "no name", {"email": "a@b.c"}, 400),
    ("create user", "a numeric name", {"name": 42}, 400),
    ("create user", "a blank name", {"name": " \t "}, 400),
    ("create user", "a 64 KiB name", {"name": BIG}, 400),
    ("create user", "a null name", {"name": None}, 400),
    ("create user", "enabled neither true nor false", {"name": NEW, "enabled": "maybe"},
     400),
    ("create user", "a numeric password", {"name": NEW, "password": 42}, 400),
    ("create user", "a numeric domain_id", {"name": NEW, "domain_id": 42}, 400),
    ("create user", "a missing domain", {"name": NEW, "domain_id": "no-such"}, 404),
    ("create user", "a numeric default project", {"name": NEW, "default_project_id": 9}, 400),
    ("create user", "an unknown option", {"name": NEW, "options": {"bogus": True}}, 400),
    ("update user", "a null name", {"name": None}, 400),
    ("update user", "enabled as a number", {"enabled": 7}, 400),
    ("update user", "a different id", {"id": "other"}, 400),
    ("change password", "no original password", {"password": "new-pass-1"}, 400),
    ("change password", "a numeric password", {"original_password": "x", "password": 42},
     400),
    ("create group", "a numeric name", {"name": 42}, 400),
    ("create group", "a blank name", {"name": "   "}, 400),
    ("create group", "a 64 KiB name", {"name": BIG}, 400),
    ("create group", "a null name", {"name": None}, 400),
    ("create group", "a numeric domain_id", {"name": NEW, "domain_id": 42}, 400),
    ("update group", "an empty name", {"name": ""}, 400),
    ("update group", "a different id", {"id": "other"}, 400),
    ("create role", "a numeric name", {"name": 42}, 400),
    ("create role", "a blank name", {"name": "   "}, 400),
    ("create role", "a 64 KiB name", {"name": BIG}, 400),
    ("create role", "a null name", {"name": None}, 400),
    ("create role", "a numeric domain_id", {"name": NEW, "domain_id": 42}, 400),
    ("create role", "an unknown option", {"name": NEW, "options": {"bogus": True}}, 400),
    ("create role", "immutable as a string", {"name": NEW, "options": {"immutable": "y"}},
     400),
    ("update role", "a blank name", {"name": " "}, 400),
    ("update role", "a different id", {"id": "other"}, 400),
    ("create region", "a numeric parent", {"id": NEW, "parent_region_id": 42}, 400),
    ("create region", "a missing parent", {"id": NEW, "parent_region_id": "no-such"}, 404),
    ("create region", "a numeric description", {"id": NEW, "description": 42}, 400),
    ("create region by PUT", "a conflicting id", {"id": "other"}, 400),
    ("update region", "a numeric description", {"description": 42}, 400),
    ("update region", "itself as its parent", {"parent_region_id": "{region}"}, 400),
    ("create service", "no type", {"name": NEW}, 400),
    ("create service", "a numeric type", {"type": 42}, 400),
    ("create service", "an empty type", {"type": ""}, 400),
    ("create service", "a 64 KiB type", {"type": BIG}, 400),
    ("create service", "enabled neither true nor false", {"type": NEW, "enabled": "maybe"},
     400),
    ("update service", "enabled as a number", {"enabled": 3}, 400),
    ("update service", "a null type", {"type": None}, 400),
    ("create endpoint", "an unknown interface",
     {"service_id": "{service}", "interface": "sideways", "url": "http://a.test/"}, 400),
    ("create endpoint", "a numeric interface",
     {"service_id": "{service}", "interface": 1, "url": "http://a.test/"}, 400),
    ("create endpoint", "a url that is no url",
     {"service_id": "{service}", "interface": "public", "url": "not a url"}, 400),
    ("create endpoint", "a 64 KiB url",
     {"service_id": "{service}", "interface": "public", "url": "http://" + BIG}, 400),
    ("create endpoint", "no service",
     {"interface": "public", "url": "http://a.test/"}, 400),
    ("create endpoint", "a missing service",
     {"service_id": "no-such", "interface": "public", "url": "http://a.test/"}, 400),
    ("create endpoint", "a missing region",
     {"service_id": "{service}", "interface": "public", "url": "http://a.test/",
      "region_id": "no-such"}, 400),
    ("create endpoint", "enabled as a string",
     {"service_id": "{service}", "interface": "public", "url": "http://a.test/",
      "enabled": "maybe"}, 400),
    ("update endpoint", "an unknown interface", {"interface": "sideways"}, 400),
    ("update endpoint", "a url that is no url", {"url": "nope"}, 400),
    ("update endpoint", "a null url", {"url": None}, 400),
    ("create app cred", "no name", {"description": "x"}, 400),
    ("create app cred", "a numeric name", {"name": 42}, 400),
    ("create app cred", "an empty name", {"name": ""}, 400),
    ("create app cred", "an expiry that is no date", {"name": NEW, "expires_at": "soon"},
     400),
    ("create app cred", "roles as a string", {"name": NEW, "roles": "member"}, 400),
    ("create app cred", "unrestricted neither true nor false",
     {"name": NEW, "unrestricted": "maybe"}, 400),
    ("create app cred", "an access rule with an unknown method",
     {"name": NEW, "access_rules": [{"service": "identity", "path": "/v3/x",
                                     "method": "FETCH"}]}, 400),
    ("create app cred", "an access rule with a numeric service",
     {"name": NEW, "access_rules": [{"service": 1, "path": "/v3/x", "method": "GET"}]}, 400),
    ("create credential", "no type", {"blob": "x", "user_id": "{admin}"}, 400),
    ("create credential", "no blob", {"type": "cert", "user_id": "{admin}"}, 400),
    ("create credential", "no user", {"type": "cert", "blob": "x"}, 400),
    ("create credential", "a numeric blob", {"type": "cert", "blob": 1, "user_id": "{admin}"},
     400),
    ("create credential", "an ec2 blob that is no JSON",
     {"type": "ec2", "blob": "{not json", "user_id": "{admin}",
      "project_id": "{project}"}, 400),
    ("create credential", "an ec2 blob with no access key",
     {"type": "ec2", "blob": "{\"secret\": \"s\"}", "user_id": "{admin}",
      "project_id": "{project}"}, 400),
    ("update credential", "a numeric blob", {"blob": 1}, 400),
    ("update credential", "a null type", {"type": None}, 400),
    ("update credential", "a different id", {"id": "other"}, 400),
    ("create ec2 key", "no project", {}, BAD_STATUS),
    ("create ec2 key", "a missing project", {"tenant_id": "no-such"}, BAD_STATUS),
    ("create ec2 key", "a numeric project", {"tenant_id": 42}, BAD_STATUS),
    ("create registered limits", "the list as an object",
     {"registered_limits": {"service_id": "{service}"}}, 400),
    ("create registered limits", "an empty list", {"registered_limits": []}, 400),
    ("create registered limits", "no service",
     {"registered_limits": [{"resource_name": NEW, "default_limit": 1}]}, 400),
    ("create registered limits", "a limit as a string",
     {"registered_limits": [{"service_id": "{service}", "resource_name": NEW,
                             "default_limit": "ten"}]}, 400),
    ("create registered limits", "a limit below -1",
     {"registered_limits": [{"service_id": "{service}", "resource_name": NEW,
                             "default_limit": -2}]}, 400),
    ("create registered limits", "a blank resource name",
     {"registered_limits": [{"service_id": "{service}", "resource_name": "  ",
                             "default_limit": 1}]}, 400),
    ("create registered limits", "a missing service",
     {"registered_limits": [{"service_id": "no-such", "resource_name": NEW,
                             "default_limit": 1}]}, 400),
    ("create registered limits", "a second, bad one",
     {"registered_limits": [{"service_id": "{service}", "resource_name": NEW,
                             "default_limit": 1},
                            {"service_id": "{service}", "resource_name": NEW,
                             "default_limit": "x"}]}, 400),
    ("update registered limit", "a limit as a string", {"default_limit": "x"}, 400),
    ("update registered limit", "an unknown field", {"bogus": 1}, 400),
    ("create limits", "neither project nor domain",
     {"limits": [{"service_id": "{service}", "resource_name": "widgets",
                  "resource_limit": 1}]}, 400),
    ("create limits", "both project and domain",
     {"limits": [{"service_id": "{service}", "resource_name": "widgets", "resource_limit": 1,
                  "project_id": "{project2}", "domain_id": "default"}]}, 400),
    ("create limits", "a limit beyond 32 bits",
     {"limits": [{"service_id": "{service}", "resource_name": "widgets",
                  "resource_limit": 2 ** 31, "project_id": "{project2}"}]}, 400),
    ("create limits", "a limit as a float",
     {"limits": [{"service_id": "{service}", "resource_name": "widgets",
                  "resource_limit": 1.5, "project_id": "{project2}"}]}, 400),
    ("create limits", "a project id with a slash",
     {"limits": [{"service_id": "{service}", "resource_name": "widgets",
                  "resource_limit": 1, "project_id": "a/b"}]}, 400),
    ("update limit", "a limit as a string", {"resource_limit": "x"}, 400),
    ("update limit", "a new project", {"project_id": "{project2}"}, 400),
    ("update limit", "a null limit", {"resource_limit": None}, 400),
]


# -- the cloud, the admin, and the objects the updates aim at ------------------------------
@dataclass
class Api:
    client: httpx.Client
    ids: dict[str, str]

    def path(self, template: str) -> str:
        return template.format_map(self.ids)

    def fill(self, value: Any) -> Any:
        """Ids into "{key}" strings, a fresh name into NEW, all the way down."""
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if value == NEW:
            return unique("sweep")
        if isinstance(value, str) and value.startswith("{") and value.endswith("}") \
                and value[1:-1] in self.ids:
            return self.ids[value[1:-1]]
        return value

    def state(self, call: Call) -> Any:
        """What the admin sees where the call writes: a collection's ids, an object's body."""
        resp = self.client.get(self.path(call.state))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        lists = [v for k, v in body.items() if k != "links" and isinstance(v, list)]
        if lists and not call.state.endswith("/tags"):
            return sorted(item["id"] for item in lists[0])
        return {k: v for k, v in body.items() if k != "links"}


@pytest.fixture(scope="module")
def api(cloud: Any, admin: Any) -> Iterator[Api]:
    sess = password_session(cloud, "admin", cloud.admin_password,
                            project_id=admin.current_project_id)
    identity = admin.identity
    domain = identity.create_domain(name=unique("sweep-dom"))
    service = identity.create_service(type=unique("sweep-svc"), name="sweep")
    project, project2 = (identity.create_project(name=unique("sweep-p")) for _ in range(2))
    registered = identity.create_registered_limit(service_id=service.id,
                                                  resource_name="widgets", default_limit=5)
    unused = identity.create_registered_limit(service_id=service.id,
                                              resource_name="gadgets", default_limit=5)
    ids = {
        "admin": sess.get_user_id(), "domain": domain.id, "service": service.id,
        "project": project.id, "project2": project2.id,
        "user": identity.create_user(name=unique("sweep-u"), password="pass-word-1").id,
        "group": identity.create_group(name=unique("sweep-g")).id,
        "role": identity.create_role(name=unique("sweep-r")).id,
        "region": identity.create_region(id=unique("sweep-region")).id,
        "new_region": unique("sweep-put"),
        "endpoint": identity.create_endpoint(service_id=service.id, interface="public",
                                             url="http://sweep.test/").id,
        "credential": identity.create_credential(type="cert", blob="b",
                                                 user_id=sess.get_user_id()).id,
        "unused_registered_limit": unused.id,
        "limit": identity.create_limit(service_id=service.id, resource_name="widgets",
                                       resource_limit=3, project_id=project.id).id,
    }
    token = sess.get_token()
    assert token
    with httpx.Client(base_url=f"{cloud.url}/identity/v3", timeout=30,
                      headers={"X-Auth-Token": token}) as client:
        yield Api(client, ids)
    for cleanup in (lambda: identity.delete_limit(ids["limit"]),
                    lambda: identity.delete_registered_limit(registered.id),
                    lambda: identity.delete_registered_limit(unused.id),
                    lambda: identity.delete_endpoint(ids["endpoint"]),
                    lambda: identity.delete_service(service.id),
                    lambda: identity.delete_region(ids["region"]),
                    lambda: identity.delete_role(ids["role"]),
                    lambda: identity.delete_group(ids["group"]),
                    lambda: identity.delete_user(ids["user"]),
                    lambda: identity.delete_credential(ids["credential"]),
                    lambda: identity.delete_project(project.id),
                    lambda: identity.delete_project(project2.id),
                    lambda: identity.update_domain(domain.id, is_enabled=False),
                    lambda: identity.delete_domain(domain.id)):
        try:
            cleanup()
        except Exception:
            pass


def assert_keystone_error(response: httpx.Response, expected: Any) -> None:
    status = response.status_code
    if expected == BAD_STATUS:
        assert 400 <= status < 500 and status != 401, response.text
    else:
        assert status == expected, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == status and isinstance(error["title"], str) and error["title"]
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.text


def send_refused(api: Api, call: Call, content: bytes, expected: Any) -> None:
    before = api.state(call)
    response = api.client.request(call.method, api.path(call.path), content=content,
                                  headers={"Content-Type": "application/json"})
    assert_keystone_error(response, expected)
    assert api.state(call) == before, f"{call.method} {call.path} was refused but wrote"


def cases() -> Iterator[Any]:
    for name, call in CALLS.items():
        for label, content in MALFORMED:
            yield pytest.param(name, content, 400, id=f"{name}: {label}")
        if call.key:
            for label, build in ENVELOPE:
                yield pytest.param(name, build(call.key, call.valid), 400,
                                   id=f"{name}: {label}")
    for name, label, member, expected in FIELDS:
        body = {CALLS[name].key: member} if CALLS[name].key else member
        yield pytest.param(name, body, expected, id=f"{name}: {label}")


@pytest.mark.parametrize("name,body,expected", list(cases()))
def test_bad_input_is_refused_and_writes_nothing(api: Api, name: str, body: Any,
                                                 expected: Any) -> None:
    content = body if isinstance(body, bytes) else json.dumps(api.fill(body)).encode()
    send_refused(api, CALLS[name], content, expected)


def test_every_call_accepts_its_valid_body(api: Api) -> None:
    """The sweep's calls are right: each valid body (but a wrong password) is accepted."""
    for name, call in CALLS.items():
        if name == "change password":
            continue
        body = {call.key: call.valid} if call.key else call.valid
        response = api.client.request(call.method, api.path(call.path), json=api.fill(body))
        assert response.status_code in (200, 201, 204), f"{name}: {response.text}"
        if response.status_code == 201:
            remove_created(api, call, response.json())


def remove_created(api: Api, call: Call, body: dict[str, Any]) -> None:
    base = api.path(call.path)
    if call.method == "PUT":
        base = base.rsplit("/", 1)[0]
    if base.endswith("/OS-EC2"):
        api.client.delete(f"{base}/{body['credential']['access']}")
        return
    for value in body.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and "id" in item:
                if base.endswith("/domains"):
                    api.client.patch(f"{base}/{item['id']}",
                                     json={"domain": {"enabled": False}})
                assert api.client.delete(f"{base}/{item['id']}").status_code == 204


# -- odd but valid values round-trip ------------------------------------------------------
ODD_VALUES = {
    "unicode": "żółw-🐢-項目",
    "sql comment": "x'; DROP TABLE project; --",
    "sql tautology": "%' OR '1'='1",
    "quotes and backslash": 'a"b\\c',
    "markup": "<script>alert(1)</script>",
}


@dataclass(frozen=True)
class Family:
    """Where a value is written (``field`` of a ``key`` member POSTed to ``path``) and the
    list filter that must find it again, if there is one."""
    path: str
    key: str
    field: str
    extra: dict[str, Any]
    list_filter: str | None


FAMILIES = {
    "domain name": Family("/domains", "domain", "name", {}, "name"),
    "project name": Family("/projects", "project", "name", {}, "name"),
    "user name": Family("/users", "user", "name", {}, "name"),
    "group name": Family("/groups", "group", "name", {}, "name"),
    "role name": Family("/roles", "role", "name", {}, "name"),
    "service name": Family("/services", "service", "name", {"type": NEW}, "name"),
    "region description": Family("/regions", "region", "description", {}, None),
    "app cred name": Family("/users/{admin}/application_credentials",
                            "application_credential", "name", {}, "name"),
    "credential blob": Family("/credentials", "credential", "blob",
                              {"type": "cert", "user_id": "{admin}"}, None),
    "registered limit description": Family("/registered_limits", "registered_limit",
                                           "description",
                                           {"service_id": "{service}", "resource_name": NEW,
                                            "default_limit": 1}, None),
}


def create(api: Api, family: Family, value: str) -> dict[str, Any]:
    member = {**api.fill(family.extra), family.field: value}
    if family.key == "registered_limit":
        response = api.client.post(api.path(family.path),
                                   json={"registered_limits": [member]})
        assert response.status_code == 201, response.text
        return dict(response.json()["registered_limits"][0])
    response = api.client.post(api.path(family.path), json={family.key: member})
    assert response.status_code == 201, response.text
    return dict(response.json()[family.key])


def remove(api: Api, family: Family, made: dict[str, Any]) -> None:
    url = f"{api.path(family.path)}/{made['id']}"
    if family.key == "domain":
        api.client.patch(url, json={"domain": {"enabled": False}})
    assert api.client.delete(url).status_code == 204


@pytest.mark.parametrize("value", list(ODD_VALUES.values()), ids=list(ODD_VALUES))
@pytest.mark.parametrize("name", list(FAMILIES))
def test_odd_values_round_trip(api: Api, name: str, value: str) -> None:
    family = FAMILIES[name]
    value = f"{value}-{unique('v')}"
    made = create(api, family, value)
    try:
        assert made[family.field] == value
        fetched = api.client.get(f"{api.path(family.path)}/{made['id']}")
        assert fetched.json()[family.key][family.field] == value
        if family.list_filter:
            listed = api.client.get(api.path(family.path),
                                    params={family.list_filter: value}).json()
            collection = next(v for k, v in listed.items() if k != "links")
            assert [item["id"] for item in collection] == [made["id"]]
    finally:
        remove(api, family, made)


@pytest.mark.parametrize("tag", ["żółw-🐢", "x'; DROP TABLE project_tag; --", "%' OR 1=1"])
def test_odd_tags_round_trip(api: Api, tag: str) -> None:
    tag = f"{tag}{unique('')}"
    path = api.path("/projects/{project}/tags")
    added = api.client.put(f"{path}/{quote(tag, safe='')}")
    assert added.status_code == 201, added.text
    assert unquote(added.headers["location"].rsplit("/", 1)[1]) == tag
    try:
        assert tag in api.client.get(path).json()["tags"]
        found = api.client.get("/projects", params={"tags": tag}).json()["projects"]
        assert [p["id"] for p in found] == [api.ids["project"]]
    finally:
        api.client.put(path, json={"tags": []})


@pytest.mark.parametrize("pattern", ["%", "_", "\\"])
def test_name_filters_take_wildcards_literally(api: Api, pattern: str) -> None:
    """name__contains and friends are substring tests, not SQL LIKE patterns."""
    literal = api.client.post("/users", json={"user": {"name": unique(f"a{pattern}b")}})
    assert literal.status_code == 201, literal.text
    user_id = literal.json()["user"]["id"]
    try:
        for comparator in ("name__contains", "name__startswith", "name__endswith"):
            found = api.client.get("/users", params={comparator: pattern}).json()["users"]
            assert all(pattern in u["name"] for u in found), (comparator, found)
        found = api.client.get("/users", params={"name__contains": pattern}).json()["users"]
        assert user_id in {u["id"] for u in found}
    finally:
        api.client.delete(f"/users/{user_id}")


MEMBER_PATHS = ["/domains/{x}", "/projects/{x}", "/users/{x}", "/groups/{x}", "/roles/{x}",
                "/regions/{x}", "/services/{x}", "/endpoints/{x}", "/credentials/{x}",
                "/registered_limits/{x}", "/limits/{x}", "/projects/{project}/tags/{x}",
                "/users/{admin}/application_credentials/{x}", "/users/{admin}/access_rules/{x}",
                "/roles/{role}/implies/{x}"]
ODD_IDS = {"unicode": "żółw-🐢", "sql": "x' OR '1'='1", "long": "i" * 300}


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("odd", list(ODD_IDS.values()), ids=list(ODD_IDS))
def test_odd_ids_in_paths_are_404(api: Api, method: str, odd: str) -> None:
    for template in MEMBER_PATHS:
        path = template.replace("{x}", quote(odd, safe="")).format_map(api.ids)
        assert_keystone_error(api.client.request(method, path), 404)


def password_auth(user: Any, scope: Any = None) -> dict[str, Any]:
    auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": user}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


ADMIN = {"name": "admin", "domain": {"id": "default"}, "password": "see-fixture"}
AUTH_BODIES = {
    "a numeric password": password_auth({**ADMIN, "password": 42}),
    "a user with neither id nor name": password_auth({"password": "x",
                                                      "domain": {"id": "default"}}),
    "a user domain with neither id nor name": password_auth({**ADMIN, "domain": {}}),
    "a numeric project id in the scope": password_auth(ADMIN, {"project": {"id": 42}}),
    "a project scope with neither id nor name": password_auth(ADMIN, {"project": {}}),
    "a numeric scope": password_auth(ADMIN, 7),
    "methods as a string": {"auth": {"identity": {"methods": "password"}}},
    "a token method without the token": {"auth": {"identity": {"methods": ["token"],
                                                               "token": {}}}},
    "no identity": {"auth": {"scope": "unscoped"}},
}


@pytest.mark.parametrize("body", list(AUTH_BODIES.values()), ids=list(AUTH_BODIES))
def test_bad_token_requests_are_400(cloud: Any, body: dict[str, Any]) -> None:
    text = json.dumps(body).replace("see-fixture", cloud.admin_password)
    response = httpx.post(f"{cloud.url}/identity/v3/auth/tokens", content=text,
                          headers={"Content-Type": "application/json"})
    assert_keystone_error(response, 400)
    assert "x-subject-token" not in response.headers
