"""Projects and domains through openstacksdk and the openstack CLI."""

from __future__ import annotations

import pytest
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique


def test_project_crud_with_sdk(admin, make_project):
    project = make_project(description="first", tags=["a", "b"])
    assert project.domain_id == "default" and project.parent_id == "default"
    shown = admin.identity.get_project(project.id)
    assert shown.name == project.name and shown.description == "first"
    assert sorted(shown.tags) == ["a", "b"]
    admin.identity.update_project(project, description="second", is_enabled=False)
    assert admin.identity.get_project(project.id).description == "second"
    assert not admin.identity.get_project(project.id).is_enabled
    admin.identity.delete_project(project)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_project(project.id)


def test_project_cli_create_list_show_set_delete(cli):
    name = unique("cli-proj")
    created = cli("project", "create", name, "--description", "made by cli", "--tag", "x",
                  "-f", "json")
    assert created["name"] == name and created["description"] == "made by cli"
    listed = cli("project", "list", "-f", "json")
    assert name in [p["Name"] for p in listed]
    cli("project", "set", name, "--disable", "--name", name + "-renamed")
    shown = cli("project", "show", name + "-renamed", "-f", "json")
    assert shown["enabled"] is False
    cli("project", "delete", name + "-renamed")
    gone = cli("project", "show", name + "-renamed", check=False)
    assert gone.returncode != 0


def test_project_list_filters(admin, make_project):
    tagged = make_project(tags=["filter-me"])
    make_project()
    names = [p.name for p in admin.identity.projects(tags="filter-me")]
    assert names == [tagged.name]
    by_name = list(admin.identity.projects(name=tagged.name))
    assert [p.id for p in by_name] == [tagged.id]


def test_project_hierarchy_and_cascade(admin, make_project):
    parent = make_project()
    child = admin.identity.create_project(name=unique("child"), parent_id=parent.id)
    assert child.parent_id == parent.id and child.domain_id == "default"
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.identity.delete_project(parent)
    admin.identity.delete_project(child)


def test_duplicate_project_name_is_409(admin, make_project):
    project = make_project()
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_project(name=project.name, domain_id="default")


def test_project_tags_api(admin, make_project):
    project = make_project()
    project.add_tag(admin.identity, "one")
    project.add_tag(admin.identity, "two")
    assert project.check_tag(admin.identity, "two")
    assert sorted(admin.identity.get_project(project.id).tags) == ["one", "two"]
    project.remove_tag(admin.identity, "one")
    assert admin.identity.get_project(project.id).tags == ["two"]
    project.set_tags(admin.identity, ["x", "y"])
    assert sorted(admin.identity.get_project(project.id).tags) == ["x", "y"]
    project.remove_all_tags(admin.identity)
    assert admin.identity.get_project(project.id).tags == []


def test_domain_lifecycle_with_cli(cli, admin):
    name = unique("dom")
    domain = cli("domain", "create", name, "--description", "d", "-f", "json")
    assert domain["enabled"] is True
    project = admin.identity.create_project(name=unique("in-dom"), domain_id=domain["id"])
    assert project.domain_id == domain["id"]
    refused = cli("domain", "delete", name, check=False)
    assert refused.returncode != 0  # enabled domains cannot be deleted
    cli("domain", "set", name, "--disable")
    cli("domain", "delete", name)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_project(project.id)


def test_default_domain_exists(admin):
    domain = admin.identity.get_domain("default")
    assert domain.name == "Default" and domain.is_enabled


def test_immutable_project_refuses_changes_until_unset(admin, make_project):
    project = make_project(options={"immutable": True})
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.identity.update_project(project, description="nope")
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.identity.delete_project(project)
    admin.identity.update_project(project.id, options={"immutable": False})
    admin.identity.update_project(project.id, description="now fine")
    assert admin.identity.get_project(project.id).description == "now fine"


def test_a_listing_follows_every_project_write_at_once(admin):
    """Listings are kept per identity generation: each write must show in the next list."""
    def names(**query):
        return {p.name for p in admin.identity.projects(**query)}

    name = unique("listed")
    project = admin.identity.create_project(name=name, domain_id="default")
    assert name in names()
    tag = unique("tag")
    project.add_tag(admin.identity, tag)
    assert names(tags=tag) == {name}
    admin.identity.update_project(project, description="moved on", enabled=False)
    assert name in names(enabled=False) and name not in names(enabled=True)
    project.remove_tag(admin.identity, tag)
    assert names(tags=tag) == set()
    project.set_tags(admin.identity, [tag])
    assert names(tags=tag) == {name}
    admin.identity.delete_project(project)
    assert name not in names()
