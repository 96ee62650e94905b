"""Real clients against the live cloud: openstacksdk, keystoneauth1, the openstack CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.conftest import LiveCloud


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def admin(cloud: LiveCloud) -> Iterator[openstack.connection.Connection]:
    """An openstacksdk connection as the bootstrap admin (project-scoped), from clouds.yaml."""
    config = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
    yield conn
    conn.close()


def password_session(cloud: LiveCloud, username: str, password: str, *,
                     project_id: str | None = None, domain_id: str | None = None,
                     system_scope: str | None = None,
                     user_domain_id: str = "default") -> ks_session.Session:
    auth = v3.Password(auth_url=cloud.auth_url, username=username, password=password,
                       user_domain_id=user_domain_id, project_id=project_id,
                       domain_id=domain_id, system_scope=system_scope)
    return ks_session.Session(auth=auth)


def connection_for(sess: ks_session.Session) -> openstack.connection.Connection:
    return openstack.connection.Connection(session=sess, region_name="RegionOne")


@pytest.fixture
def cli(client_env: dict[str, str]) -> Callable[..., Any]:
    """Runs the openstack CLI; returns parsed JSON when -f json is asked for."""
    exe = shutil.which("openstack") or str(Path(sys.executable).parent / "openstack")

    def run(*args: str, env: dict[str, str] | None = None, check: bool = True) -> Any:
        proc = subprocess.run([exe, *args], env=env or client_env, capture_output=True,
                              text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"openstack {' '.join(args)} failed: {proc.stderr}")
        if "json" in args and proc.returncode == 0 and proc.stdout.strip():
            return json.loads(proc.stdout)
        return proc

    return run


@pytest.fixture
def make_project(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("proj"))
        kw.setdefault("domain_id", "default")
        project = admin.identity.create_project(**kw)
        made.append(project)
        return project

    yield make
    for project in made:
        try:
            admin.identity.delete_project(project, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def make_user(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    """Creates users (default domain, a random password unless given); deletes them after."""
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("user"))
        kw.setdefault("domain_id", "default")
        kw.setdefault("password", uuid.uuid4().hex)
        user = admin.identity.create_user(**kw)
        user.login_password = kw["password"]  # not a resource attribute: never sent back
        made.append(user)
        return user

    yield make
    for user in made:
        try:
            admin.identity.delete_user(user, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def make_group(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("group"))
        kw.setdefault("domain_id", "default")
        group = admin.identity.create_group(**kw)
        made.append(group)
        return group

    yield make
    for group in made:
        try:
            admin.identity.delete_group(group, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def make_role(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    """Creates roles (global unless domain_id is given); deletes them after."""
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("role"))
        role = admin.identity.create_role(**kw)
        made.append(role)
        return role

    yield make
    for role in made:
        try:
            admin.identity.update_role(role, options={"immutable": False})
            admin.identity.delete_role(role, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def make_domain(admin: openstack.connection.Connection) -> Iterator[Callable[..., Any]]:
    """Creates domains; disables and deletes them (with all they hold) after."""
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("name", unique("domain"))
        domain = admin.identity.create_domain(**kw)
        made.append(domain)
        return domain

    yield make
    for domain in made:
        try:
            admin.identity.update_domain(domain, enabled=False)
            admin.identity.delete_domain(domain, ignore_missing=True)
        except Exception:
            pass


@pytest.fixture
def make_member(cloud: LiveCloud, admin: openstack.connection.Connection,
                make_user: Callable[..., Any], make_project: Callable[..., Any]
                ) -> Callable[..., Any]:
    """A new user holding ``role`` (member by default) on a new project; returns an object
    with ``user``, ``project``, ``session`` (keystoneauth1) and ``conn`` (openstacksdk)."""
    from types import SimpleNamespace

    def make(role: str = "member") -> Any:
        project = make_project()
        user = make_user(default_project_id=project.id)
        admin.identity.assign_project_role_to_user(
            project, user, admin.identity.find_role(role, ignore_missing=False))
        sess = password_session(cloud, user.name, user.login_password, project_id=project.id)
        return SimpleNamespace(user=user, project=project, session=sess,
                               conn=connection_for(sess))

    return make


# == The RBAC matrix (tests/api/identity/test_rbac_*.py): personas in two domains ============
from dataclasses import dataclass  # noqa: E402
from functools import partial  # noqa: E402
from typing import cast  # noqa: E402

from openstack import exceptions as sdk_exc  # noqa: E402

OK = "2xx"


@dataclass(frozen=True)
class Sees:
    """A list call that succeeds, shows every ``has`` and none of ``lacks`` (world id names)."""
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Op:
    """One API call of the matrix. ``setup`` (as admin) makes the fresh objects the call needs
    and returns them as a dict; ``call`` makes the request as the actor and returns an SDK
    result, a response, or a set of ids (lists); ``observe`` (as admin) reads what a write
    would change, so a refused write can be shown to have changed nothing."""
    name: str
    call: Callable[[Any, RbacWorld, dict[str, str]], Any]
    setup: Callable[[RbacWorld], dict[str, str]] | None = None
    observe: Callable[[RbacWorld, dict[str, str]], Any] | None = None


class RbacWorld:
    """Domain D holds projects A and B, domain E holds project E; users and groups in both.

    Personas (their names are the matrix's actors): ``reader`` and ``member`` of project A,
    ``member_b`` of project B (project-scoped tokens); ``d_reader``, ``d_manager`` and
    ``d_admin`` holding that role on domain D (domain-scoped tokens); ``admin``, the bootstrap
    admin (project-scoped: Keystone's cloud admin). ``ids`` names everything by key.
    """

    def __init__(self, cloud: LiveCloud, admin: openstack.connection.Connection) -> None:
        # Any: openstacksdk types conn.identity as its v2 or v3 proxy, which mypy cannot pick.
        self.cloud, self.admin = cloud, cast(Any, admin)
        self.ids: dict[str, str] = {}
        self.conns: dict[str, Any] = {"admin": admin}
        self._cleanups: list[Callable[[], Any]] = []

    def path(self, template: str, ctx: dict[str, str] | None = None) -> str:
        return template.format_map({**self.ids, **(ctx or {})})

    def later(self, cleanup: Callable[[], Any]) -> None:
        self._cleanups.append(cleanup)

    def drop_domain(self, domain_id: str) -> None:
        self.admin.identity.update_domain(domain_id, is_enabled=False)
        self.admin.identity.delete_domain(domain_id)

    # -- fresh objects, made by the admin -------------------------------------------------------
    def new_user(self, domain: str = "dom_d", **kw: Any) -> Any:
        return self.admin.identity.create_user(name=unique("rbac-user"),
                                               domain_id=self.ids[domain], **kw)

    def new_project(self, domain: str = "dom_d") -> Any:
        return self.admin.identity.create_project(name=unique("rbac-proj"),
                                                  domain_id=self.ids[domain])

    def new_group(self, domain: str = "dom_d") -> Any:
        return self.admin.identity.create_group(name=unique("rbac-group"),
                                                domain_id=self.ids[domain])

    def new_role(self, domain: str | None = None) -> Any:
        kw = {"domain_id": self.ids[domain]} if domain else {}
        role = self.admin.identity.create_role(name=unique("rbac-role"), **kw)
        self.later(lambda: self.admin.identity.delete_role(role.id, ignore_missing=True))
        return role

    def admin_get(self, template: str, ctx: dict[str, str] | None = None) -> tuple[int, Any]:
        """What the admin sees at a path: (status, body without links)."""
        resp = self.admin.identity.get(self.path(template, ctx))
        body = resp.json() if resp.content else None
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k != "links"}
        return resp.status_code, body

    # -- personas -----------------------------------------------------------------------------
    def add_persona(self, name: str, role: str, *, project: str | None = None,
                    domain: str | None = None) -> None:
        password = uuid.uuid4().hex
        user = self.new_user(password=password)
        role_id = self.ids[f"role_{role}"]
        if project:
            self.admin.identity.assign_project_role_to_user(self.ids[project], user.id, role_id)
        else:
            assert domain
            self.admin.identity.assign_domain_role_to_user(self.ids[domain], user.id, role_id)
        sess = password_session(self.cloud, user.name, password,
                                project_id=self.ids[project] if project else None,
                                domain_id=self.ids[domain] if domain else None,
                                user_domain_id=self.ids["dom_d"])
        sess.get_token()
        self.ids[name] = user.id
        self.conns[name] = connection_for(sess)

    def close(self) -> None:
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception:
                pass
        for conn in self.conns.values():
            if conn is not self.admin:
                conn.close()


def _build_rbac_world(cloud: LiveCloud, admin: openstack.connection.Connection) -> RbacWorld:
    world = RbacWorld(cloud, admin)
    identity = world.admin.identity
    ids = world.ids
    for role in ("admin", "manager", "member", "reader"):
        ids[f"role_{role}"] = identity.find_role(role, ignore_missing=False).id
    for key in ("dom_d", "dom_e"):
        domain = identity.create_domain(name=unique(f"rbac-{key}"))
        ids[key] = domain.id
        world.later(partial(world.drop_domain, domain.id))
    ids["proj_a"], ids["proj_b"] = world.new_project().id, world.new_project().id
    ids["proj_e"] = world.new_project("dom_e").id
    ids["user_d"], ids["user_e"] = world.new_user().id, world.new_user("dom_e").id
    ids["group_d"], ids["group_e"] = world.new_group().id, world.new_group("dom_e").id
    world.add_persona("reader", "reader", project="proj_a")
    world.add_persona("member", "member", project="proj_a")
    world.add_persona("member_b", "member", project="proj_b")
    world.add_persona("d_reader", "reader", domain="dom_d")
    world.add_persona("d_manager", "manager", domain="dom_d")
    world.add_persona("d_admin", "admin", domain="dom_d")
    return world


@pytest.fixture(scope="session")
def rbac(cloud: LiveCloud, admin: openstack.connection.Connection) -> Iterator[RbacWorld]:
    world = _build_rbac_world(cloud, admin)
    yield world
    world.close()


def _outcome(op: Op, conn: Any, world: RbacWorld, ctx: dict[str, str]) -> tuple[Any, Any]:
    """(status, result): status is OK for any 2xx, else the HTTP code."""
    try:
        result = op.call(conn, world, ctx)
        if isinstance(result, Iterator):
            result = list(result)
    except sdk_exc.HttpException as exc:
        return exc.status_code, None
    status = getattr(result, "status_code", None)
    if isinstance(status, int) and not 200 <= status < 300:
        return status, result
    return OK, result


def run_cell(world: RbacWorld, actor: str, op: Op, expected: Any) -> None:
    """One cell: ``actor`` does ``op``; Keystone answers ``expected`` (OK, a code, Sees)."""
    ctx = op.setup(world) if op.setup else {}
    before = op.observe(world, ctx) if op.observe else None
    status, result = _outcome(op, world.conns[actor], world, ctx)
    want = OK if isinstance(expected, Sees) else expected
    assert status == want, f"{actor} {op.name}: got {status}, Keystone answers {want}"
    if isinstance(expected, Sees):
        seen = set(result)
        missing = [n for n in expected.has if world.ids[n] not in seen]
        leaked = [n for n in expected.lacks if world.ids[n] in seen]
        assert not missing and not leaked, f"{actor} {op.name}: missing {missing}, " \
                                           f"leaked {leaked}"
    if op.observe:
        after = op.observe(world, ctx)
        if want == OK:
            assert after != before, f"{actor} {op.name} was allowed but changed nothing"
        else:
            assert after == before, f"{actor} {op.name} was refused but changed {before} " \
                                    f"into {after}"


def matrix(table: list[tuple[Any, ...]]) -> list[Any]:
    """pytest params from (actor, op, expected[, xfail reason]) rows, with readable ids."""
    params = []
    for actor, op, expected, *reason in table:
        marks = [pytest.mark.xfail(strict=True, reason=reason[0])] if reason else []
        params.append(pytest.param(actor, op, expected, id=f"{actor}:{op.name}", marks=marks))
    return params
