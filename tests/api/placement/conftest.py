"""Placement API tests: real clients (openstacksdk's ``conn.placement``, the openstack CLI
with osc-placement, keystoneauth1 sessions with ``microversion=``) against the live cloud."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from keystoneauth1 import session as ks_session

from tests.api.conftest import password_session, unique

SERVICE = {"service_type": "placement", "interface": "public"}


@pytest.fixture(scope="session")
def ksa(admin: Any) -> ks_session.Session:
    """The admin's keystoneauth1 session (``microversion=`` per request)."""
    return admin.session


def call(sess: ks_session.Session, method: str, path: str, version: str | None = None,
         **kw: Any) -> Any:
    """A Placement request through keystoneauth1, errors returned rather than raised."""
    kw.setdefault("raise_exc", False)
    if version is not None:
        kw["microversion"] = version
        kw["microversion_service_type"] = "placement"
    return sess.request(path, method, endpoint_filter=SERVICE, **kw)


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"errors"}, body
    return dict(body["errors"][0])


@pytest.fixture
def make_rp(admin: Any, ksa: ks_session.Session) -> Iterator[Callable[..., Any]]:
    """Creates resource providers (children first out); deletes them and their
    allocations after."""
    made: list[str] = []

    def make(name: str | None = None, *, parent: str | None = None,
             inventory: dict[str, int] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name or unique("rp")}
        if parent:
            body["parent_provider_uuid"] = parent
        rp = call(ksa, "POST", "/resource_providers", "1.20", json=body).json()
        made.append(rp["uuid"])
        if inventory:
            inv = {rc: {"total": n} for rc, n in inventory.items()}
            rp["generation"] = call(ksa, "PUT", f"/resource_providers/{rp['uuid']}/inventories",
                                    "1.20", json={"resource_provider_generation":
                                                  rp["generation"], "inventories": inv}
                                    ).json()["resource_provider_generation"]
        return rp

    yield make
    for rp_uuid in reversed(made):
        allocs = call(ksa, "GET", f"/resource_providers/{rp_uuid}/allocations")
        if allocs.status_code == 200:
            for consumer in allocs.json()["allocations"]:
                call(ksa, "DELETE", f"/allocations/{consumer}")
        call(ksa, "DELETE", f"/resource_providers/{rp_uuid}")


def _session_with_role(cloud: Any, admin: Any, role: str) -> Iterator[ks_session.Session]:
    project = admin.identity.create_project(name=unique("plc-proj"), domain_id="default")
    password = uuid.uuid4().hex
    user = admin.identity.create_user(name=unique("plc-user"), domain_id="default",
                                      password=password)
    admin.identity.assign_project_role_to_user(project, user, admin.identity.find_role(role))
    yield password_session(cloud, user.name, password, project_id=project.id)
    admin.identity.delete_user(user)
    admin.identity.delete_project(project)


@pytest.fixture(scope="session")
def member_session(cloud: Any, admin: Any) -> Iterator[ks_session.Session]:
    """A project member (no admin, no service role)."""
    yield from _session_with_role(cloud, admin, "member")


@pytest.fixture(scope="session")
def service_session(cloud: Any, admin: Any) -> Iterator[ks_session.Session]:
    """A caller with the service role (what Nova's service user has)."""
    yield from _session_with_role(cloud, admin, "service")
