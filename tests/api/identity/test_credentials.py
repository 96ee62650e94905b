"""Credentials and EC2 keys through the openstack CLI and openstacksdk; encryption at rest
and the lookup by access key that the S3 API uses."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openstack import exceptions as sdk_exc

from nimbus.config import load_settings
from nimbus.kernel.runtime import Runtime
from nimbus.services.identity.service import IdentityService
from tests.api.conftest import unique


def ec2_blob(access: str, secret: str = "s3cr3t") -> str:
    return json.dumps({"access": access, "secret": secret})


@pytest.fixture
def make_credential(admin) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(conn: Any = None, **kw: Any) -> Any:
        conn = conn or admin
        kw.setdefault("user_id", conn.current_user_id)
        kw.setdefault("type", "ec2")
        if kw["type"] == "ec2":
            kw.setdefault("project_id", conn.current_project_id)
            kw.setdefault("blob", ec2_blob(unique("AK")))
        cred = conn.identity.create_credential(**kw)
        made.append(cred)
        return cred

    yield make
    for cred in made:
        admin.identity.delete_credential(cred.id, ignore_missing=True)


@pytest.fixture(scope="module")
def identity(cloud) -> Iterator[IdentityService]:
    """The identity facade in this process, on the live cloud's data dir."""
    runtime = Runtime(load_settings(cloud.data_dir))
    yield IdentityService(runtime)
    runtime.close()


def test_cli_ec2_credentials_lifecycle(cli, admin):
    created = cli("ec2", "credentials", "create", "-f", "json")
    access = created["access"]
    assert created["secret"] and created["project_id"] == admin.current_project_id
    assert created["user_id"] == admin.current_user_id
    listed = cli("ec2", "credentials", "list", "-f", "json")
    assert access in [c["Access"] for c in listed]
    shown = cli("ec2", "credentials", "show", access, "-f", "json")
    assert shown["secret"] == created["secret"]
    # The same key appears in /v3/credentials, with the id Keystone gives it.
    cred = admin.identity.get_credential(hashlib.sha256(access.encode()).hexdigest())
    assert json.loads(cred.blob)["secret"] == created["secret"]
    cli("ec2", "credentials", "delete", access)
    assert cli("ec2", "credentials", "show", access, check=False).returncode != 0


def test_cli_credential_lifecycle(cli, admin, make_project):
    user_id = admin.current_user_id
    created = cli("credential", "create", user_id, "seed-one", "--type", "totp", "-f", "json")
    assert created["type"] == "totp" and created["blob"] == "seed-one"
    listed = cli("credential", "list", "--type", "totp", "-f", "json")
    assert created["id"] in [c["ID"] for c in listed]
    cli("credential", "set", created["id"], "--user", user_id, "--type", "totp",
        "--data", "seed-two")
    assert cli("credential", "show", created["id"], "-f", "json")["blob"] == "seed-two"
    project = make_project()
    ec2 = cli("credential", "create", user_id, ec2_blob("cli-" + unique("AK")),
              "--type", "ec2", "--project", project.id, "-f", "json")
    assert ec2["project_id"] == project.id
    cli("credential", "delete", created["id"], ec2["id"])
    assert created["id"] not in [c["ID"] for c in cli("credential", "list", "-f", "json")]


def test_ec2_credential_id_and_update(admin, make_credential):
    access = unique("AK")
    cred = make_credential(blob=ec2_blob(access, "first"))
    assert cred.id == hashlib.sha256(access.encode()).hexdigest()
    updated = admin.identity.update_credential(cred, blob=ec2_blob(access, "second"))
    assert updated.id == cred.id and updated.project_id == admin.current_project_id
    assert json.loads(admin.identity.get_credential(cred.id).blob)["secret"] == "second"
    with pytest.raises(sdk_exc.ConflictException):
        make_credential(blob=ec2_blob(access))


@pytest.mark.parametrize("fields, words", [
    ({"project_id": None}, "project_id"),
    ({"blob": "not json"}, "Invalid blob"),
    ({"blob": json.dumps({"secret": "no access"})}, "access"),
    ({"blob": json.dumps(["a list"])}, "blob"),
])
def test_ec2_bad_input(admin, fields, words):
    body = {"type": "ec2", "user_id": admin.current_user_id,
            "project_id": admin.current_project_id, "blob": ec2_blob(unique("AK")), **fields}
    reply = admin.identity.post("/credentials", json={"credential": body})
    assert reply.status_code == 400
    assert words in reply.json()["error"]["message"]


def test_credential_filters(admin, make_credential):
    totp = make_credential(type="totp", blob="seed")
    ec2 = make_credential()
    by_type = {c.id for c in admin.identity.credentials(type="totp")}
    assert totp.id in by_type and ec2.id not in by_type
    mine = {c.id for c in admin.identity.credentials(user_id=admin.current_user_id)}
    assert {totp.id, ec2.id} <= mine


def test_users_manage_only_their_own(admin, make_member, make_credential):
    member = make_member()
    own = make_credential(member.conn)
    theirs = make_credential()
    assert own.user_id == member.user.id
    visible = {c.id for c in member.conn.identity.credentials()}
    assert own.id in visible and theirs.id not in visible
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.identity.get_credential(theirs.id)
    with pytest.raises(sdk_exc.ForbiddenException):
        make_credential(member.conn, user_id=admin.current_user_id)
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.identity.update_credential(own, user_id=admin.current_user_id)
    with pytest.raises(sdk_exc.ForbiddenException):
        member.conn.identity.delete_credential(theirs.id)
    member.conn.identity.delete_credential(own.id)


def test_member_ec2_keys(make_member):
    member = make_member()
    path = f"/users/{member.user.id}/credentials/OS-EC2"
    created = member.conn.identity.post(path, json={"tenant_id": member.project.id})
    assert created.status_code == 201
    access = created.json()["credential"]["access"]
    listed = member.conn.identity.get(path).json()["credentials"]
    assert [c["access"] for c in listed] == [access]
    other = member.conn.identity.get(f"/users/{unique('someone')}/credentials/OS-EC2")
    assert other.status_code == 403
    assert member.conn.identity.delete(f"{path}/{access}").status_code == 204


def test_blob_encrypted_at_rest(cloud, make_credential):
    secret = unique("TOPSECRET")
    cred = make_credential(blob=ec2_blob(unique("AK"), secret))
    with sqlite3.connect(f"file:{cloud.data_dir / 'nimbus.db'}?mode=ro", uri=True) as db:
        blob, key_hash = db.execute(
            "SELECT encrypted_blob, key_hash FROM identity_credential WHERE id = ?",
            (cred.id,)).fetchone()
    assert secret.encode() not in blob and blob.startswith(b"gAAAAA")
    keys = cloud.data_dir / "credential-keys"
    primary = max(int(p.name) for p in keys.iterdir() if p.name.isdigit())
    assert key_hash == hashlib.sha1((keys / str(primary)).read_bytes().strip()).hexdigest()


def test_find_ec2_for_the_s3_api(admin, identity, make_credential):
    access = unique("AK")
    make_credential(blob=ec2_blob(access, "the-secret"))
    assert identity.credentials.find_ec2(access) == (
        admin.current_user_id, admin.current_project_id, "the-secret")
    assert identity.credentials.find_ec2(unique("unknown")) is None
