"""Regions, services, endpoints and the token catalog, through the openstack CLI,
openstacksdk and python-keystoneclient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from keystoneclient.v3 import client as ks_client
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique


@pytest.fixture
def make_service(admin) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("type", unique("type"))
        kw.setdefault("name", unique("svc"))
        service = admin.identity.create_service(**kw)
        made.append(service)
        return service

    yield make
    for service in made:
        admin.identity.delete_service(service, ignore_missing=True)


@pytest.fixture
def make_region(admin) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        region = admin.identity.create_region(**kw)
        made.append(region)
        return region

    yield make
    for region in reversed(made):
        try:
            admin.identity.delete_region(region, ignore_missing=True)
        except sdk_exc.HttpException:
            pass


def catalog_of(conn) -> list[dict[str, Any]]:
    return conn.identity.get("/auth/catalog").json()["catalog"]


# -- regions ------------------------------------------------------------------------------
def test_cli_region_lifecycle(cli, admin):
    parent, child = unique("region"), unique("region")
    created = cli("region", "create", parent, "--description", "east coast", "-f", "json")
    assert created == {"region": parent, "description": "east coast", "parent_region": None}
    cli("region", "create", child, "--parent-region", parent)
    assert cli("region", "show", child, "-f", "json")["parent_region"] == parent
    listed = {r["Region"]: r for r in cli("region", "list", "-f", "json")}
    assert listed[child]["Parent Region"] == parent and "RegionOne" in listed
    cli("region", "set", parent, "--description", "west coast")
    assert cli("region", "show", parent, "-f", "json")["description"] == "west coast"
    cycle = cli("region", "set", parent, "--parent-region", child, check=False)
    assert cycle.returncode != 0 and "circular" in cycle.stderr
    cli("region", "delete", parent)
    # Deleting a region deletes its children, as Keystone does.
    for name in (parent, child):
        assert cli("region", "show", name, check=False).returncode != 0


def test_region_with_chosen_id_and_parent_filter(admin, make_region):
    parent = make_region(id=unique("parent"), description="top")
    child = make_region(parent_region_id=parent.id)
    make_region()
    assert len(child.id) == 32
    children = list(admin.identity.regions(parent_region_id=parent.id))
    assert [r.id for r in children] == [child.id]
    with pytest.raises(sdk_exc.ConflictException):
        admin.identity.create_region(id=parent.id)


def test_region_put_creates_with_the_path_id(admin, make_region):
    region_id = unique("put-region")
    reply = admin.identity.put(f"/regions/{region_id}",
                               json={"region": {"description": "by PUT"}})
    assert reply.status_code == 201
    assert reply.json()["region"]["id"] == region_id
    admin.identity.delete_region(region_id)
    clash = admin.identity.put(f"/regions/{region_id}", json={"region": {"id": "other"}})
    assert clash.status_code == 400


def test_region_errors(admin, make_region, make_service):
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.create_region(parent_region_id=unique("nowhere"))
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_region(unique("nowhere"))
    region = make_region()
    service = make_service()
    endpoint = admin.identity.create_endpoint(service_id=service.id, interface="public",
                                              url="http://example.com/", region_id=region.id)
    with pytest.raises(sdk_exc.ForbiddenException) as refused:
        admin.identity.delete_region(region)
    assert "associated endpoints" in str(refused.value)
    admin.identity.delete_endpoint(endpoint)
    child = make_region(parent_region_id=region.id)
    admin.identity.create_endpoint(service_id=service.id, interface="public",
                                   url="http://example.com/", region_id=child.id)
    with pytest.raises(sdk_exc.ForbiddenException):
        admin.identity.delete_region(region)  # an endpoint below it keeps it too
    admin.identity.delete_service(service)
    admin.identity.delete_region(region)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_region(child.id)


# -- services -----------------------------------------------------------------------------
def test_cli_service_lifecycle(cli):
    stype, name = unique("type"), unique("svc")
    created = cli("service", "create", stype, "--name", name, "--description", "a thing",
                  "-f", "json")
    assert created["type"] == stype and created["name"] == name
    assert created["enabled"] is True and created["description"] == "a thing"
    listed = cli("service", "list", "-f", "json")
    assert name in [s["Name"] for s in listed]
    cli("service", "set", created["id"], "--disable", "--description", "changed")
    shown = cli("service", "show", created["id"], "-f", "json")
    assert shown["enabled"] is False and shown["description"] == "changed"
    cli("service", "delete", created["id"])
    assert cli("service", "show", created["id"], check=False).returncode != 0


def test_service_type_filter_and_errors(admin, make_service):
    stype = unique("type")
    first = make_service(type=stype)
    make_service()
    assert [s.id for s in admin.identity.services(type=stype)] == [first.id]
    with pytest.raises(sdk_exc.BadRequestException):
        admin.identity.create_service(name="no type")
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_service(unique("missing"))


def test_deleting_a_service_deletes_its_endpoints(admin, make_service):
    service = make_service()
    endpoint = admin.identity.create_endpoint(service_id=service.id, interface="public",
                                              url="http://example.com/")
    admin.identity.delete_service(service)
    with pytest.raises(sdk_exc.NotFoundException):
        admin.identity.get_endpoint(endpoint.id)


# -- endpoints ----------------------------------------------------------------------------
def test_cli_endpoint_lifecycle(cli, admin, make_service, make_region):
    service = make_service()
    region = make_region()
    created = cli("endpoint", "create", "--region", region.id, service.id, "internal",
                  "http://example.com/v1", "-f", "json")
    assert created["region"] == region.id and created["interface"] == "internal"
    assert created["service_name"] == service.name and created["enabled"] is True
    listed = cli("endpoint", "list", "--service", service.id, "-f", "json")
    assert [e["ID"] for e in listed] == [created["id"]]
    cli("endpoint", "set", created["id"], "--url", "http://example.com/v2", "--disable")
    shown = cli("endpoint", "show", created["id"], "-f", "json")
    assert shown["url"] == "http://example.com/v2" and shown["enabled"] is False
    cli("endpoint", "delete", created["id"])
    assert cli("endpoint", "show", created["id"], check=False).returncode != 0


def test_endpoint_filters(admin, make_service, make_region):
    service = make_service()
    region = make_region()
    public = admin.identity.create_endpoint(service_id=service.id, interface="public",
                                            url="http://example.com/", region_id=region.id)
    internal = admin.identity.create_endpoint(service_id=service.id, interface="internal",
                                              url="http://example.com/")
    mine = {e.id for e in admin.identity.endpoints(service_id=service.id)}
    assert mine == {public.id, internal.id}
    assert internal.id in {e.id for e in admin.identity.endpoints(interface="internal")}
    assert public.id not in {e.id for e in admin.identity.endpoints(interface="internal")}
    assert [e.id for e in admin.identity.endpoints(region_id=region.id)] == [public.id]


def test_legacy_region_is_created(cloud, admin, make_service):
    """python-keystoneclient sends ``region``; Keystone creates that region when missing."""
    keystone = ks_client.Client(session=admin.session)
    service = make_service()
    region_id = unique("legacy")
    endpoint = keystone.endpoints.create(service=service.id, url="http://example.com/",
                                         interface="public", region=region_id)
    assert endpoint.region == region_id and endpoint.region_id == region_id
    assert admin.identity.get_region(region_id).id == region_id
    keystone.endpoints.delete(endpoint.id)
    admin.identity.delete_region(region_id)


@pytest.mark.parametrize("body, field", [
    ({"interface": "sideways"}, "interface"),
    ({"enabled": "True"}, "enabled"),
    ({"url": "not a url"}, "url"),
    ({"url": "http://example.com/$(bogus)s"}, "invalid URL"),
    ({"service_id": "no-such-service"}, "service_id"),
    ({"region_id": "no-such-region"}, "region_id"),
])
def test_endpoint_bad_input(admin, make_service, body, field):
    service = make_service()
    good = {"service_id": service.id, "interface": "public", "url": "http://example.com/"}
    reply = admin.identity.post("/endpoints", json={"endpoint": {**good, **body}})
    assert reply.status_code == 400
    assert field in reply.json()["error"]["message"]
    assert not list(admin.identity.endpoints(service_id=service.id))


def test_endpoint_update_refuses_string_enabled(admin, make_service):
    service = make_service()
    endpoint = admin.identity.create_endpoint(service_id=service.id, interface="public",
                                              url="http://example.com/")
    reply = admin.identity.patch(f"/endpoints/{endpoint.id}",
                                 json={"endpoint": {"enabled": "False"}})
    assert reply.status_code == 400
    assert admin.identity.get_endpoint(endpoint.id).is_enabled is True


# -- the catalog --------------------------------------------------------------------------
def test_catalog_follows_changes(cli, admin, make_service):
    service = make_service(type=unique("cattype"))
    endpoint = admin.identity.create_endpoint(service_id=service.id, interface="public",
                                              url="http://example.com/catalog",
                                              region_id="RegionOne")
    entry = next(s for s in catalog_of(admin) if s["id"] == service.id)
    assert entry["type"] == service.type and entry["name"] == service.name
    assert entry["endpoints"] == [{"id": endpoint.id, "interface": "public",
                                   "region": "RegionOne", "region_id": "RegionOne",
                                   "url": "http://example.com/catalog"}]
    shown = cli("catalog", "show", service.type, "-f", "json")
    assert "http://example.com/catalog" in str(shown["endpoints"])
    admin.identity.update_endpoint(endpoint, is_enabled=False)
    entry = next(s for s in catalog_of(admin) if s["id"] == service.id)
    assert entry["endpoints"] == []
    admin.identity.update_service(service, is_enabled=False)
    assert service.id not in [s["id"] for s in catalog_of(admin)]


def test_catalog_substitutes_project_id(admin, make_service):
    service = make_service()
    admin.identity.create_endpoint(service_id=service.id, interface="public",
                                   url="http://example.com/v1/AUTH_$(project_id)s",
                                   region_id="RegionOne")
    token = admin.session.get_token()
    reply = admin.identity.get("/auth/tokens", headers={"X-Subject-Token": token})
    entry = next(s for s in reply.json()["token"]["catalog"] if s["id"] == service.id)
    project_id = admin.current_project_id
    assert [e["url"] for e in entry["endpoints"]] == \
        [f"http://example.com/v1/AUTH_{project_id}"]


def test_member_sees_catalog_but_cannot_change_it(make_member):
    member = make_member()
    types = [s["type"] for s in catalog_of(member.conn)]
    assert "identity" in types
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.identity.create_region(description="not mine")
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.identity.create_service(type="compute")
    with pytest.raises(sdk_exc.ForbiddenException):
        list(member.conn.identity.endpoints())
    assert list(member.conn.identity.regions())
