"""Unified limits through the openstack CLI and openstacksdk, and the quota lookup other
services use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openstack import exceptions as sdk_exc

from nimbus.config import load_settings
from nimbus.kernel.runtime import Runtime
from nimbus.services.identity.service import IdentityService
from tests.api.conftest import unique


@pytest.fixture
def service(admin) -> Iterator[Any]:
    """A service of its own for each test, so limits never collide. Deleting a service
    leaves its limits (as in Keystone), so they go first."""
    svc = admin.identity.create_service(type=unique("quota"), name=unique("quota"))
    yield svc
    for limit in admin.identity.limits(service_id=svc.id):
        admin.identity.delete_limit(limit, ignore_missing=True)
    for registered in admin.identity.registered_limits(service_id=svc.id):
        admin.identity.delete_registered_limit(registered, ignore_missing=True)
    admin.identity.delete_service(svc, ignore_missing=True)


@pytest.fixture
def register(admin, service) -> Callable[..., Any]:
    def make(resource_name: str, default_limit: int = 10, **kw: Any) -> Any:
        return admin.identity.create_registered_limit(
            service_id=service.id, resource_name=resource_name, default_limit=default_limit,
            **kw)

    return make


@pytest.fixture(scope="module")
def identity(cloud) -> Iterator[IdentityService]:
    runtime = Runtime(load_settings(cloud.data_dir))
    yield IdentityService(runtime)
    runtime.close()


def test_cli_registered_limit_lifecycle(cli, service):
    created = cli("registered", "limit", "create", "--service", service.id,
                  "--default-limit", "5", "--region", "RegionOne", "--description", "cores",
                  "cores", "-f", "json")
    assert created["default_limit"] == 5 and created["region_id"] == "RegionOne"
    assert created["service_id"] == service.id and created["resource_name"] == "cores"
    listed = cli("registered", "limit", "list", "--service", service.id, "-f", "json")
    assert [r["ID"] for r in listed] == [created["id"]]
    cli("registered", "limit", "set", created["id"], "--default-limit", "8")
    assert cli("registered", "limit", "show", created["id"], "-f", "json")[
        "default_limit"] == 8
    cli("registered", "limit", "delete", created["id"])
    assert cli("registered", "limit", "list", "--service", service.id, "-f", "json") == []


def test_cli_limit_lifecycle(cli, service, register, make_project):
    register("ram", 1024)
    project = make_project()
    created = cli("limit", "create", "--project", project.id, "--service", service.id,
                  "--resource-limit", "2048", "ram", "-f", "json")
    assert created["project_id"] == project.id and created["resource_limit"] == 2048
    listed = cli("limit", "list", "--project", project.id, "-f", "json")
    assert [row["ID"] for row in listed] == [created["id"]]
    cli("limit", "set", created["id"], "--resource-limit", "4096", "--description", "more")
    shown = cli("limit", "show", created["id"], "-f", "json")
    assert shown["resource_limit"] == 4096 and shown["description"] == "more"
    cli("limit", "delete", created["id"])
    assert cli("limit", "list", "--project", project.id, "-f", "json") == []


def test_batch_create_is_all_or_nothing(admin, service):
    items = [{"service_id": service.id, "resource_name": "a", "default_limit": 1},
             {"service_id": service.id, "resource_name": "b", "default_limit": 2}]
    reply = admin.identity.post("/registered_limits", json={"registered_limits": items})
    assert reply.status_code == 201
    assert sorted(r["resource_name"] for r in reply.json()["registered_limits"]) == ["a", "b"]
    again = [{"service_id": service.id, "resource_name": "c", "default_limit": 3}, items[0]]
    reply = admin.identity.post("/registered_limits", json={"registered_limits": again})
    assert reply.status_code == 409
    names = {r.resource_name for r in admin.identity.registered_limits(service_id=service.id)}
    assert names == {"a", "b"}


def test_registered_limit_filters_and_errors(admin, service, register):
    plain = register("disk")
    regional = register("disk", region_id="RegionOne")
    by_region = list(admin.identity.registered_limits(service_id=service.id,
                                                      region_id="RegionOne"))
    assert [r.id for r in by_region] == [regional.id]
    by_name = {r.id for r in admin.identity.registered_limits(resource_name="disk",
                                                              service_id=service.id)}
    assert by_name == {plain.id, regional.id}
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.update_registered_limit(plain, region_id="RegionOne")
    with pytest.raises(sdk_exc.BadRequestException):
        register("disk", region_id=unique("nowhere"))
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.create_registered_limit(service_id=unique("nosvc"),
                                               resource_name="x", default_limit=1)
    with pytest.raises(sdk_exc.BadRequestException):
        register("disk", default_limit=-2)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_registered_limit(unique("missing"))


def test_registered_limit_in_use(admin, service, register, make_project):
    registered = register("gpus", 1)
    limit = admin.identity.create_limit(service_id=service.id, resource_name="gpus",
                                        resource_limit=4, project_id=make_project().id)
    for attempt in (lambda: admin.identity.update_registered_limit(registered, default_limit=2),
                    lambda: admin.identity.delete_registered_limit(registered)):
        with pytest.raises(sdk_exc.ForbiddenException):
            attempt()
    admin.identity.delete_limit(limit)
    admin.identity.delete_registered_limit(registered)


def test_limit_rules(admin, service, register, make_project, make_domain):
    register("volumes", 10)
    project = make_project()
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.identity.create_limit(service_id=service.id, resource_name="snapshots",
                                    resource_limit=1, project_id=project.id)
    admin.identity.create_limit(service_id=service.id, resource_name="volumes",
                                resource_limit=20, project_id=project.id)
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_limit(service_id=service.id, resource_name="volumes",
                                    resource_limit=30, project_id=project.id)
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.create_limit(service_id=service.id, resource_name="volumes",
                                    resource_limit=30, project_id=unique("noproj"))
    domain = make_domain()
    # A project id that names a domain makes a domain limit, as in Keystone.
    on_domain = admin.identity.create_limit(service_id=service.id, resource_name="volumes",
                                            resource_limit=40, project_id=domain.id)
    assert on_domain.domain_id == domain.id and on_domain.project_id is None
    reply = admin.identity.patch(f"/limits/{on_domain.id}",
                                 json={"limit": {"resource_name": "other"}})
    assert reply.status_code == 400


def test_limit_model(admin, make_member):
    model = {"name": "flat", "description": "Limit enforcement and validation does not "
                                            "take project hierarchy into consideration."}
    assert admin.identity.get("/limits/model").json() == {"model": model}
    assert make_member().conn.identity.get("/limits/model").json() == {"model": model}


def test_member_sees_own_project_limits_only(admin, service, register, make_member,
                                             make_project):
    register("widgets", 3)
    member = make_member()
    own = admin.identity.create_limit(service_id=service.id, resource_name="widgets",
                                      resource_limit=5, project_id=member.project.id)
    other = admin.identity.create_limit(service_id=service.id, resource_name="widgets",
                                        resource_limit=6, project_id=make_project().id)
    assert [lim.id for lim in member.conn.identity.limits()] == [own.id]
    assert member.conn.identity.get_limit(own.id).resource_limit == 5
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.identity.get_limit(other.id)
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.identity.create_limit(service_id=service.id, resource_name="widgets",
                                          resource_limit=99, project_id=member.project.id)
    assert {r.resource_name for r in member.conn.identity.registered_limits(
        service_id=service.id)} == {"widgets"}


def test_effective_limit_for_quotas(admin, identity, service, register, make_project):
    register("instances", 10)
    register("instances", 12, region_id="RegionOne")
    register("cores", 20)
    project = make_project()
    admin.identity.create_limit(service_id=service.id, resource_name="cores",
                                resource_limit=64, project_id=project.id)
    limits = identity.limits
    assert limits.effective_limit(project.id, service.type, "cores") == 64
    assert limits.effective_limit(project.id, service.id, "cores", "RegionOne") == 64
    assert limits.effective_limit(project.id, service.type, "instances") == 10
    assert limits.effective_limit(project.id, service.type, "instances", "RegionOne") == 12
    assert limits.effective_limit(project.id, service.type, "floppies") is None
    assert limits.effective_limit(project.id, unique("nosuchservice"), "cores") is None


def test_deleting_a_service_leaves_its_limits(admin, make_project):
    """Keystone deletes the service's endpoints only; limits naming it stay listed."""
    svc = admin.identity.create_service(type=unique("gone"), name=unique("gone"))
    registered = admin.identity.create_registered_limit(service_id=svc.id,
                                                        resource_name="cpus", default_limit=2)
    project = make_project()
    limit = admin.identity.create_limit(service_id=svc.id, resource_name="cpus",
                                        resource_limit=3, project_id=project.id)
    admin.identity.delete_service(svc)
    assert admin.identity.get_registered_limit(registered.id).service_id == svc.id
    assert admin.identity.get_limit(limit.id).resource_limit == 3
    admin.identity.delete_limit(limit)
    admin.identity.delete_registered_limit(registered)


def test_a_region_with_registered_limits_deletes(admin, service):
    """Only endpoints (in the region or below it) keep a region, as in Keystone."""
    region = admin.identity.create_region(id=unique("limits-region"))
    registered = admin.identity.create_registered_limit(
        service_id=service.id, resource_name="disks", default_limit=4, region_id=region.id)
    admin.identity.delete_region(region)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_region(region.id)
    assert admin.identity.get_registered_limit(registered.id).region_id == region.id
