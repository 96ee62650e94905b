"""Placement's own API tests (its gabbi YAML, from the openstack-placement 16.0.0 wheel)
against Nimbus, each of 69 files on a cloud of its own: the 31 files that need only Placement's
bare ``APIFixture`` (an empty database) and the 20 whose fixture fills the database first
(AllocationFixture, SharedStorageFixture, GranularFixture, NUMANetworkFixture, ...: their
own code, run through the API by _gabbi_fixtures.py), the 9 secure-RBAC files (each
caller they fake with no-auth headers a real Keystone user, _gabbi_rbac.py) and the 9
open-policy files (every rule "@" in policy/placement.yaml). 1165 of their 1166 tests
pass; the one left sends a malformed Content-Length that httpx (gabbi's client) refuses to
send. Not run: the legacy-RBAC files (they switch Placement to its deprecated rules) and
the CORS ones (no CORS middleware).

The gabbits come from ``NIMBUS_PLACEMENT_GABBITS`` (the wheel's ``placement`` directory,
unpacked) or are fetched once with ``pip download openstack-placement==16.0.0``."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import pytest
import yaml

from nimbus.services.placement.policies import RULES
from tests.api.conftest import password_session
from tests.api.placement import _gabbi, _gabbi_fixtures, _gabbi_rbac
from tests.conftest import start_cloud

WHEEL = "openstack-placement==16.0.0"
FILES = ["aggregate.yaml", "allocation-bad-class.yaml", "allocations-1-12.yaml",
         "allocations-1-8.yaml", "allocations-bug-1714072.yaml",
         "allocations-bug-1778591.yaml", "allocations-bug-1778743.yaml",
         "allocations-bug-1779717.yaml", "allocations-post.yaml", "allocations.yaml",
         "basic-http.yaml", "bug-1674694.yaml", "confirm-auth.yaml", "inventory.yaml",
         "microversion-bug-1724065.yaml", "microversion.yaml", "non-cors.yaml",
         "resource-class-in-use.yaml", "resource-classes-1-6.yaml",
         "resource-classes-1-7.yaml", "resource-classes-last-modified.yaml",
         "resource-classes.yaml", "resource-provider-aggregates.yaml",
         "resource-provider-bug-1779818.yaml", "resource-provider-duplication.yaml",
         "resource-provider-links.yaml", "resource-provider.yaml", "shared-resources.yaml",
         "traits.yaml", "unicode.yaml", "usage.yaml",
         # with a fixture that fills the database
         "allocation-candidates-any-traits-groups.yaml", "allocation-candidates-any-traits.yaml",
         "allocation-candidates-bug-1792503.yaml", "allocation-candidates-mappings-numa.yaml",
         "allocation-candidates-mappings-sharing.yaml", "allocation-candidates-member-of.yaml",
         "allocation-candidates-root-required.yaml", "allocation-candidates.yaml",
         "allocations-1.28.yaml", "allocations-mappings.yaml", "consumer-types-1.38.yaml",
         "consumer-types-bug-story-2009167.yaml", "ensure-consumer.yaml",
         "granular-same-subtree.yaml", "granular.yaml", "reshaper.yaml",
         "resource-provider-any-traits.yaml", "resource-provider-resources-query.yaml",
         "same-subtree-deep.yaml", "with-allocations.yaml",
         # secure RBAC: each caller a real Keystone user (_gabbi_rbac.py)
         "aggregate-secure-rbac.yaml", "allocation-candidates-secure-rbac.yaml",
         "allocations-secure-rbac.yaml", "inventory-secure-rbac.yaml",
         "reshaper-secure-rbac.yaml", "resource-classes-secure-rbac.yaml",
         "resource-provider-secure-rbac.yaml", "traits-secure-rbac.yaml",
         "usage-secure-rbac.yaml",
         # every rule opened to any caller by policy/placement.yaml
         "aggregate-policy.yaml", "allocation-candidates-policy.yaml",
         "allocations-policy.yaml", "inventory-policy.yaml", "reshaper-policy.yaml",
         "resource-classes-policy.yaml", "resource-provider-policy.yaml",
         "traits-policy.yaml", "usage-policy.yaml"]
# Tests a client cannot send: httpx will not put "Content-Length: seven" on the wire.
UNSENDABLE = {"basic-http.yaml": {"bad_content_length_not_int"}}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def placement_tests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """placement/tests/functional of the wheel: gabbits/*.yaml and fixtures/gabbits.py."""
    given = os.environ.get("NIMBUS_PLACEMENT_GABBITS")
    if given:
        return Path(given) / "tests" / "functional"
    where = tmp_path_factory.mktemp("placement-wheel")
    fetched = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                              "-d", str(where), WHEEL], capture_output=True, text=True,
                             timeout=300)
    wheels = list(where.glob("*.whl"))
    if fetched.returncode != 0 or not wheels:
        _unavailable(f"could not fetch {WHEEL}: {fetched.stderr[-300:]}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            if name.startswith("placement/tests/functional/gabbits/") or \
                    name == "placement/tests/functional/fixtures/gabbits.py":
                wheel.extract(name, where)
    return where / "placement" / "tests" / "functional"


def _user_token(cloud: Any, conn: Any, name: str, project: Any, roles: list[str]) -> str:
    password = uuid.uuid4().hex
    user = conn.identity.create_user(name=name, domain_id="default", password=password)
    for role in roles:
        conn.identity.assign_project_role_to_user(project, user, conn.identity.find_role(role))
    return str(password_session(cloud, name, password, project_id=project.id).get_token())


def _open_policy(data: Path) -> None:
    """OpenPolicyFixture: every Placement rule but ``admin_api`` is "@", here through
    policy/placement.yaml."""
    (data / "policy").mkdir(parents=True)
    rules = {name: "@" for name in RULES if name not in ("admin_api",)}
    (data / "policy" / "placement.yaml").write_text(yaml.safe_dump(rules))


@pytest.fixture
def fresh_cloud(request: pytest.FixtureRequest, tmp_path: Path, placement_tests: Path
                ) -> Iterator[tuple[Any, Any, str, str]]:
    """A cloud of its own (the gabbits expect an empty Placement), its admin connection,
    the gabbits' ``admin`` token and their ``user`` token (a project member). Their admin
    ran under Placement's legacy rules, where it may do what the service role may (the
    reshaper): here it has both roles."""
    path = placement_tests / "gabbits" / request.node.callspec.params["name"]
    if path.exists() and "OpenPolicyFixture" in _gabbi.fixture_names(path):
        _open_policy(tmp_path / "data")
    # No compute agent: it would report this host as a provider.
    cloud = start_cloud(tmp_path / "data", extra_env={"NIMBUS_COMPUTE__DRIVER": "off"})
    try:
        config = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)])
        conn = openstack.connection.Connection(config=config.get_one(cloud="nimbus"))
        admin_project = conn.identity.find_project("admin")
        member_project = conn.identity.create_project(name="gabbi", domain_id="default")
        admin = _user_token(cloud, conn, "gabbi-admin", admin_project, ["admin", "service"])
        member = _user_token(cloud, conn, "gabbi-user", member_project, ["member"])
        yield cloud, conn, admin, member
        conn.close()
    finally:
        cloud.stop()


@pytest.mark.parametrize("name", FILES)
def test_placement_gabbit(name, placement_tests, fresh_cloud):
    cloud, conn, admin_token, member_token = fresh_cloud
    path = placement_tests / "gabbits" / name
    if not path.exists():
        _unavailable(f"{path} is missing")
    client = _gabbi_fixtures.Client(f"{cloud.url}/placement", admin_token)
    classes = _gabbi_fixtures.fixture_classes(
        placement_tests / "fixtures" / "gabbits.py", client)
    names = _gabbi.fixture_names(path)
    fixtures = [classes[f]() for f in names if f in classes]
    environ = _gabbi_rbac.make_callers(cloud, conn) if "SecureRBACPolicyFixture" in names \
        else {}
    outcome = _gabbi.run_file(path, "127.0.0.1", cloud.port, "/placement", admin_token,
                              member_token, fixtures[0] if fixtures else None, environ)
    allowed = UNSENDABLE.get(name, set())
    failed = {test: text for test, text in outcome.failed.items()
              if not any(f"_{known}." in test for known in allowed)}
    assert not failed, "\n\n".join(f"{t}\n{text[-1500:]}" for t, text in failed.items())
    assert outcome.passed and not outcome.skipped
