"""OS-EP-FILTER through the openstack CLI, openstacksdk and keystoneauth1: endpoint groups,
project-endpoint associations, and the catalog a project-scoped token carries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import password_session, unique

EF = "/OS-EP-FILTER"


@pytest.fixture
def make_service(admin) -> Iterator[Callable[..., Any]]:
    """A service with one public endpoint per call; both deleted after."""
    made: list[Any] = []

    def make(**endpoint: Any) -> tuple[Any, Any]:
        service = admin.identity.create_service(type=unique("eptype"), name=unique("epsvc"))
        made.append(service)
        endpoint.setdefault("interface", "public")
        endpoint.setdefault("url", f"http://{service.name}.test/")
        return service, admin.identity.create_endpoint(service_id=service.id, **endpoint)

    yield make
    for service in made:
        admin.identity.delete_service(service, ignore_missing=True)


@pytest.fixture
def filters_file(tmp_path: Path) -> Callable[[dict[str, Any]], str]:
    def write(filters: dict[str, Any]) -> str:
        path = tmp_path / f"{unique('filters')}.json"
        path.write_text(json.dumps(filters))
        return str(path)

    return write


def catalog_endpoint_ids(sess) -> set[str]:
    """The endpoint ids in the catalog of a fresh token of the session's scope."""
    sess.invalidate()
    catalog = sess.auth.get_access(sess).service_catalog.catalog
    return {e["id"] for service in catalog for e in service["endpoints"]}


def auth_catalog_ids(sess) -> set[str]:
    """GET /v3/auth/catalog, by URL: a filtered catalog may not list identity itself."""
    catalog = sess.get(f"{sess.auth.auth_url}/v3/auth/catalog").json()
    return {e["id"] for service in catalog["catalog"] for e in service["endpoints"]}


# -- endpoint groups ----------------------------------------------------------------------
def test_cli_endpoint_group_lifecycle(cli, admin, make_service, filters_file, make_project):
    service, _ = make_service()
    other, _ = make_service()
    name = unique("eg")
    created = cli("endpoint", "group", "create", name,
                  filters_file({"service_id": service.id}), "--description", "first",
                  "-f", "json")
    assert created["name"] == name and created["description"] == "first"
    assert created["filters"] == {"service_id": service.id}
    assert name in [g["Name"] for g in cli("endpoint", "group", "list", "-f", "json")]
    cli("endpoint", "group", "set", name, "--name", name + "-2",
        "--filters", filters_file({"service_id": other.id, "interface": "public"}))
    shown = cli("endpoint", "group", "show", name + "-2", "-f", "json")
    assert shown["filters"] == {"service_id": other.id, "interface": "public"}
    assert shown["id"] == created["id"]
    project = make_project()
    cli("endpoint", "group", "add", "project", created["id"], project.id)
    listed = cli("endpoint", "group", "list", "--project", project.id, "-f", "json")
    assert [g["ID"] for g in listed] == [created["id"]]
    members = cli("endpoint", "group", "list", "--endpointgroup", created["id"], "-f", "json")
    assert [p["ID"] for p in members] == [project.id]
    cli("endpoint", "group", "remove", "project", created["id"], project.id)
    assert cli("endpoint", "group", "list", "--project", project.id, "-f", "json") == []
    cli("endpoint", "group", "delete", created["id"])
    assert cli("endpoint", "group", "show", created["id"], check=False).returncode != 0


def test_endpoint_group_endpoints_follow_the_filters(admin, make_service):
    service, public = make_service()
    internal = admin.identity.create_endpoint(service_id=service.id, interface="internal",
                                              url="http://internal.test/")
    group = admin.identity.create_endpoint_group(name=unique("eg"),
                                                 filters={"service_id": service.id})
    try:
        both = {e.id for e in admin.identity.endpoint_group_endpoints(group)}
        assert both == {public.id, internal.id}
        admin.identity.update_endpoint_group(group, filters={"service_id": service.id,
                                                             "interface": "internal"})
        assert [e.id for e in admin.identity.endpoint_group_endpoints(group)] == [internal.id]
        fetched = admin.identity.get_endpoint_group(group.id)
        assert fetched.filters == {"service_id": service.id, "interface": "internal"}
        assert fetched.links["self"].endswith(f"{EF}/endpoint_groups/{group.id}")
    finally:
        admin.identity.delete_endpoint_group(group)


@pytest.mark.parametrize("body, message", [
    ({"name": "x", "filters": {"enabled": True}},
     "Expecting to find service_id or region_id or interface in endpoint_group"),
    ({"name": "x", "filters": {"color": "blue"}}, "service_id or region_id or interface"),
    ({"name": "x", "filters": {}}, "filters field is required and cannot be empty"),
    ({"name": "x"}, "'filters' is a required property"),
    ({"filters": {"interface": "public"}}, "'name' is a required property"),
    ({"name": "x", "filters": {"interface": "sideways"}}, "sideways"),
    ({"name": "x", "filters": {"interface": "public"}, "colour": "red"},
     "Additional properties are not allowed"),
])
def test_endpoint_group_bad_input_writes_nothing(admin, body, message):
    before = admin.identity.get(f"{EF}/endpoint_groups").json()["endpoint_groups"]
    reply = admin.identity.post(f"{EF}/endpoint_groups", json={"endpoint_group": body})
    assert reply.status_code == 400, reply.text
    assert message in reply.json()["error"]["message"]
    assert admin.identity.get(f"{EF}/endpoint_groups").json()["endpoint_groups"] == before


def test_endpoint_group_update_refusals(admin, make_service):
    service, _ = make_service()
    group = admin.identity.create_endpoint_group(name=unique("eg"),
                                                 filters={"service_id": service.id})
    try:
        path = f"{EF}/endpoint_groups/{group.id}"
        for body in ({"filters": {"url": "x"}}, {}, {"name": ""}):
            reply = admin.identity.patch(path, json={"endpoint_group": body})
            assert reply.status_code == 400, (body, reply.text)
        assert admin.identity.get_endpoint_group(group.id).filters == {"service_id": service.id}
        missing = admin.identity.patch(f"{EF}/endpoint_groups/nope",
                                       json={"endpoint_group": {"name": "y"}})
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == "Could not find Endpoint Group: nope."
    finally:
        admin.identity.delete_endpoint_group(group)


def test_endpoint_group_project_association_errors(admin, make_service, make_project):
    service, _ = make_service()
    project = make_project()
    group = admin.identity.create_endpoint_group(name=unique("eg"),
                                                 filters={"service_id": service.id})
    path = f"{EF}/endpoint_groups/{group.id}/projects/{project.id}"
    try:
        assert admin.identity.get(path).status_code == 404
        assert admin.identity.put(path).status_code == 204
        again = admin.identity.put(path)
        assert again.status_code == 409
        assert again.json()["error"]["message"] == ("Conflict occurred attempting to store "
                                                     "project_endpoint_group - Duplicate entry.")
        shown = admin.identity.get(path).json()["project_endpoint_group"]
        assert shown["endpoint_group_id"] == group.id and shown["project_id"] == project.id
        assert admin.identity.head(path).status_code == 200
        assert admin.identity.put(f"{EF}/endpoint_groups/{group.id}/projects/nope"
                                  ).status_code == 404
        assert admin.identity.put(f"{EF}/endpoint_groups/nope/projects/{project.id}"
                                  ).status_code == 404
        assert admin.identity.delete(path).status_code == 204
        gone = admin.identity.delete(path)
        assert gone.status_code == 404
        assert gone.json()["error"]["message"] == "Endpoint Group Project Association not found"
    finally:
        admin.identity.delete_endpoint_group(group)


# -- endpoints and projects ---------------------------------------------------------------
def test_cli_endpoint_add_and_remove_project(cli, admin, make_service, make_project):
    _, endpoint = make_service()
    project = make_project()
    assert cli("endpoint", "list", "--project", project.id, "-f", "json") == []
    cli("endpoint", "add", "project", endpoint.id, project.id)
    listed = cli("endpoint", "list", "--project", project.id, "-f", "json")
    assert [e["ID"] for e in listed] == [endpoint.id]
    projects = list(admin.identity.endpoint_projects(endpoint))
    assert [p.id for p in projects] == [project.id]
    check = admin.identity.head(f"{EF}/projects/{project.id}/endpoints/{endpoint.id}")
    assert check.status_code == 204
    twice = cli("endpoint", "add", "project", endpoint.id, project.id, check=False)
    assert twice.returncode != 0 and "409" in twice.stderr
    cli("endpoint", "remove", "project", endpoint.id, project.id)
    assert cli("endpoint", "list", "--project", project.id, "-f", "json") == []
    gone = admin.identity.delete(f"{EF}/projects/{project.id}/endpoints/{endpoint.id}")
    assert gone.status_code == 404
    assert gone.json()["error"]["message"] == \
        f"Endpoint {endpoint.id} not found in project {project.id}"


def test_association_lookups_answer_404(admin, make_service, make_project):
    _, endpoint = make_service()
    project = make_project()
    for path in (f"{EF}/projects/{project.id}/endpoints/nope",
                 f"{EF}/projects/nope/endpoints/{endpoint.id}",
                 f"{EF}/projects/nope/endpoints", f"{EF}/projects/nope/endpoint_groups",
                 f"{EF}/endpoints/nope/projects"):
        assert admin.identity.get(path).status_code == 404, path
    assert admin.identity.put(f"{EF}/projects/nope/endpoints/{endpoint.id}").status_code == 404
    assert list(admin.identity.endpoint_projects(endpoint)) == []


# -- the catalog --------------------------------------------------------------------------
@pytest.fixture
def scoped_member(cloud, admin, make_user, make_project) -> Any:
    """A member of a new project, with a keystoneauth1 session scoped to it."""
    project = make_project()
    user = make_user()
    admin.identity.assign_project_role_to_user(
        project, user, admin.identity.find_role("member", ignore_missing=False))
    sess = password_session(cloud, user.name, user.login_password, project_id=project.id)
    sess.project = project
    return sess


def test_project_catalog_shows_only_associated_endpoints(admin, make_service, scoped_member):
    sess, project = scoped_member, scoped_member.project
    service, endpoint = make_service()
    _, other = make_service()
    everything = catalog_endpoint_ids(sess)
    assert {endpoint.id, other.id} <= everything
    admin.identity.associate_endpoint_with_project(project, endpoint)
    assert catalog_endpoint_ids(sess) == {endpoint.id}
    assert auth_catalog_ids(sess) == {endpoint.id}
    group = admin.identity.create_endpoint_group(name=unique("eg"),
                                                 filters={"interface": "internal"})
    try:
        internal = admin.identity.create_endpoint(service_id=service.id, interface="internal",
                                                  url="http://internal.test/")
        admin.identity.associate_project_with_endpoint_group(group, project)
        assert internal.id in catalog_endpoint_ids(sess)
        assert endpoint.id in catalog_endpoint_ids(sess)
        assert other.id not in catalog_endpoint_ids(sess)
        listed = {e.id for e in admin.identity.project_endpoints(project)}
        assert {endpoint.id, internal.id} <= listed and other.id not in listed
        admin.identity.disassociate_project_from_endpoint_group(group, project)
        admin.identity.disassociate_endpoint_from_project(project, endpoint)
        assert catalog_endpoint_ids(sess) == everything | {internal.id}
    finally:
        admin.identity.delete_endpoint_group(group)


def test_disabled_associated_endpoint_leaves_the_catalog(admin, make_service, scoped_member):
    sess, project = scoped_member, scoped_member.project
    _, endpoint = make_service()
    _, kept = make_service()
    admin.identity.associate_endpoint_with_project(project, endpoint)
    admin.identity.associate_endpoint_with_project(project, kept)
    admin.identity.update_endpoint(endpoint, is_enabled=False)
    assert catalog_endpoint_ids(sess) == {kept.id}


def test_deleting_what_an_association_names_cleans_it_up(admin, make_service, make_project,
                                                         scoped_member):
    sess, project = scoped_member, scoped_member.project
    service, endpoint = make_service()
    admin.identity.associate_endpoint_with_project(project, endpoint)
    assert catalog_endpoint_ids(sess) == {endpoint.id}
    admin.identity.delete_endpoint(endpoint)
    # No association left: the project sees the whole catalog again.
    assert len(catalog_endpoint_ids(sess)) > 1
    group = admin.identity.create_endpoint_group(name=unique("eg"),
                                                 filters={"service_id": service.id})
    doomed = make_project()
    admin.identity.associate_project_with_endpoint_group(group, doomed)
    admin.identity.associate_project_with_endpoint_group(group, project)
    admin.identity.delete_project(doomed)
    assert [p.id for p in admin.identity.endpoint_group_projects(group)] == [project.id]
    admin.identity.delete_endpoint_group(group)
    assert list(admin.identity.project_endpoint_groups(project)) == []



def test_auth_catalog_needs_a_project_scoped_token(cloud, admin):
    """GET /v3/auth/catalog is Keystone's for project-scoped tokens only (a 403 otherwise)."""
    system = password_session(cloud, "admin", cloud.admin_password, system_scope="all")
    reply = system.get(f"{cloud.auth_url}/v3/auth/catalog", raise_exc=False)
    assert reply.status_code == 403
    assert reply.json()["error"]["message"] == ("A project-scoped token is required to "
                                                "produce a service catalog.")
    assert system.auth.get_access(system).service_catalog.catalog  # the token's has one
