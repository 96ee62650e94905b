"""Projects acting as domains (is_domain) through openstacksdk and the openstack CLI."""

from __future__ import annotations

import pytest
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique


@pytest.fixture
def domain_project(admin):
    made = []

    def make(**kw):
        project = admin.identity.create_project(name=kw.pop("name", unique("dproj")),
                                                is_domain=True, **kw)
        made.append(project)
        return project

    yield make
    for project in made:
        try:
            admin.identity.update_project(project, is_enabled=False)
            admin.identity.delete_project(project, ignore_missing=True)
        except sdk_exc.HttpException:
            pass


def test_a_domain_project_is_a_domain(admin, cli, domain_project):
    project = domain_project()
    assert project.is_domain is True and project.domain_id is None
    assert project.parent_id is None
    as_domain = admin.identity.get_domain(project.id)
    assert as_domain.name == project.name
    assert project.id in {d.id for d in admin.identity.domains()}
    acting = {p.id for p in admin.identity.projects(is_domain=True)}
    assert project.id in acting
    assert project.id not in {p.id for p in admin.identity.projects()}
    shown = cli("project", "show", project.id, "-f", "json")
    assert shown["is_domain"] is True
    # It holds projects like any domain.
    child = admin.identity.create_project(name=unique("child"), domain_id=project.id)
    assert child.parent_id == project.id
    admin.identity.delete_project(child)


def test_domain_project_rules(admin, domain_project, make_project):
    project = domain_project()
    with pytest.raises(sdk_exc.ConflictException) as clash:
        domain_project(name=project.name)
    assert "acting as domains with the same name" in str(clash.value)
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_domain(name=project.name)
    parent = make_project()
    for refs in ({"parent_id": parent.id}, {"domain_id": "default"}):
        reply = admin.identity.post("/projects", json={"project": {
            "name": unique("dproj"), "is_domain": True, **refs}})
        assert reply.status_code == 400
        assert reply.json()["error"]["message"] == \
            "only root projects are allowed to act as domains."
    moved = admin.identity.patch(f"/projects/{project.id}",
                                 json={"project": {"is_domain": False}})
    assert moved.status_code == 400
    assert moved.json()["error"]["message"] == "Update of `is_domain` is not allowed."
    reparented = admin.identity.patch(f"/projects/{project.id}",
                                      json={"project": {"parent_id": parent.id}})
    assert reparented.status_code == 403
    assert admin.identity.get_project(project.id).parent_id is None


def test_deleting_a_domain_project(admin, domain_project):
    project = domain_project()
    with pytest.raises(sdk_exc.ForbiddenException) as refused:
        admin.identity.delete_project(project)
    assert "disable it first" in str(refused.value)
    admin.identity.update_project(project, is_enabled=False)
    assert admin.identity.get_domain(project.id).is_enabled is False
    admin.identity.delete_project(project)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_domain(project.id)


def test_a_domain_project_shows_its_subtree(admin, domain_project):
    project = domain_project()
    child = admin.identity.create_project(name=unique("child"), domain_id=project.id)
    try:
        shown = admin.identity.get(f"/projects/{project.id}?subtree_as_list&parents_as_list")
        assert shown.status_code == 200
        body = shown.json()["project"]
        assert body["parents"] == []
        assert [p["project"]["id"] for p in body["subtree"]] == [child.id]
    finally:
        admin.identity.delete_project(child)
