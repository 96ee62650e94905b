"""Key pairs through openstacksdk, the openstack CLI and python-novaclient: generation (ssh
and x509, gone at 2.92), import with Nova's fingerprints, per-user isolation, admins'
user_id, paging, types, bad input and the key_pairs quota."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openstack import exceptions as sdk_exc

from tests.api.compute._resources_fixtures import fault, raw
from tests.api.conftest import unique


def _ssh_key(tmp_path: Path, kind: str = "ed25519") -> str:
    path = tmp_path / f"id_{kind}"
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True,
                   timeout=60)
    return (tmp_path / f"id_{kind}.pub").read_text().strip()


def _md5_fingerprint(public_key: str) -> str:
    digest = hashlib.md5(base64.b64decode(public_key.split()[1])).hexdigest()  # noqa: S324
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def test_cli_imports_lists_shows_and_deletes(cli: Callable[..., Any], tmp_path: Path) -> None:
    public = _ssh_key(tmp_path)
    name = unique("cr-key")
    made = cli("keypair", "create", "--public-key", str(tmp_path / "id_ed25519.pub"), name,
               "-f", "json")
    try:
        assert made["fingerprint"] == _md5_fingerprint(public)
        assert name in [k["Name"] for k in cli("keypair", "list", "-f", "json")]
        shown = cli("keypair", "show", name, "-f", "json")
        assert shown["fingerprint"] == made["fingerprint"]
        assert cli("keypair", "show", "--public-key", name).stdout.strip() == public
    finally:
        cli("keypair", "delete", name)
    assert name not in [k["Name"] for k in cli("keypair", "list", "-f", "json")]


def test_sdk_generates_a_private_key_only_once(admin: Any) -> None:
    key = admin.compute.create_keypair(name=unique("cr-gen"))
    try:
        assert key.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
        assert key.public_key.startswith("ssh-rsa ") and key.type == "ssh"
        assert key.fingerprint == _md5_fingerprint(key.public_key)
        again = admin.compute.get_keypair(key.name)
        assert again.private_key is None and again.public_key == key.public_key
    finally:
        admin.compute.delete_keypair(key.name)


def test_generation_is_gone_at_2_92(admin: Any, tmp_path: Path) -> None:
    name = unique("cr-292")
    body = {"keypair": {"name": name}}
    assert "public_key" in fault(raw(admin, "post", "/os-keypairs", "2.92", json=body), 400)
    body["keypair"]["public_key"] = _ssh_key(tmp_path, "rsa")
    body["keypair"]["name"] = name + "@host.example"
    made = raw(admin, "post", "/os-keypairs", "2.92", json=body)
    assert made.status_code == 201 and "private_key" not in made.json()["keypair"]
    raw(admin, "delete", f"/os-keypairs/{body['keypair']['name']}", "2.92")
    assert "name" in fault(raw(admin, "post", "/os-keypairs", "2.91", json=body), 400)


def test_x509_keypairs(admin: Any) -> None:
    name = unique("cr-x509")
    made = raw(admin, "post", "/os-keypairs", "2.2",
               json={"keypair": {"name": name, "type": "x509"}})
    assert made.status_code == 201
    key = made.json()["keypair"]
    assert key["type"] == "x509" and "BEGIN CERTIFICATE" in key["public_key"]
    assert key["fingerprint"].count(":") == 19  # SHA-1
    raw(admin, "delete", f"/os-keypairs/{name}", "2.2")
    imported = raw(admin, "post", "/os-keypairs", "2.2",
                   json={"keypair": {"name": name, "type": "x509",
                                     "public_key": key["public_key"]}})
    assert imported.json()["keypair"]["fingerprint"] == key["fingerprint"]
    listed = raw(admin, "get", "/os-keypairs", "2.2").json()["keypairs"]
    assert {"keypair": {"name": name, "type": "x509", "public_key": key["public_key"],
                        "fingerprint": key["fingerprint"]}} in listed
    assert raw(admin, "delete", f"/os-keypairs/{name}", "2.2").status_code == 204
    old = raw(admin, "post", "/os-keypairs", "2.1",
              json={"keypair": {"name": name, "type": "x509"}})
    assert "type" in fault(old, 400)


def test_users_see_only_their_own_keys(admin: Any, member: Any, make_member: Any,
                                       nova_latest: Any) -> None:
    other = make_member()
    name = unique("cr-own")
    mine = member.conn.compute.create_keypair(name=name)
    theirs = other.conn.compute.create_keypair(name=name)  # the same name, another user
    assert mine.fingerprint != theirs.fingerprint
    assert [k.name for k in other.conn.compute.keypairs()] == [name]
    with pytest.raises(sdk_exc.NotFoundException):
        member.conn.compute.get_keypair(name + "-not")
    peek = raw(member.conn, "get", f"/os-keypairs/{name}?user_id={other.user.id}", "2.10")
    assert fault(peek, 403)
    seen = nova_latest.keypairs.get(name, user_id=other.user.id)  # an admin's user_id
    assert seen.fingerprint == theirs.fingerprint
    seen_by_10 = raw(admin, "get", f"/os-keypairs?user_id={member.user.id}", "2.10").json()
    assert [k["keypair"]["name"] for k in seen_by_10["keypairs"]] == [name]
    for_them = raw(admin, "post", "/os-keypairs", "2.10",
                   json={"keypair": {"name": unique("cr-for"), "user_id": other.user.id}})
    assert for_them.json()["keypair"]["user_id"] == other.user.id
    member.conn.compute.delete_keypair(name)
    assert other.conn.compute.get_keypair(name).fingerprint == theirs.fingerprint


def test_paging_from_2_35(member: Any) -> None:
    names = sorted(unique(f"cr-page{i}") for i in range(3))
    for name in names:
        member.conn.compute.create_keypair(name=name)
    first = raw(member.conn, "get", "/os-keypairs?limit=2", "2.35").json()
    assert [k["keypair"]["name"] for k in first["keypairs"]] == names[:2]
    assert first["keypairs_links"][0]["rel"] == "next"
    rest = raw(member.conn, "get", f"/os-keypairs?limit=2&marker={names[1]}", "2.35").json()
    assert [k["keypair"]["name"] for k in rest["keypairs"]] == names[2:]
    unpaged = raw(member.conn, "get", "/os-keypairs?limit=1", "2.34").json()
    assert len(unpaged["keypairs"]) == 3
    assert fault(raw(member.conn, "get", "/os-keypairs?marker=nope", "2.35"), 400)


@pytest.mark.parametrize("keypair, status", [
    ({"name": "x" * 65536}, 400),
    ({"name": "bad/name"}, 400),
    ({"name": ""}, 400),
    ({"name": "ok", "public_key": "ssh-rsa not-base64!"}, 400),
    ({"name": "ok", "public_key": ""}, 400),
    ({"name": "ok", "public_key": "hello world"}, 400),
    ({"name": "ok", "colour": "red"}, 400),
])
def test_bad_input_is_refused(member: Any, keypair: dict[str, Any], status: int) -> None:
    answer = raw(member.conn, "post", "/os-keypairs", "2.2", json={"keypair": keypair})
    fault(answer, status)
    assert list(member.conn.compute.keypairs()) == []


def test_duplicates_and_the_quota(admin: Any, member: Any) -> None:
    name = unique("cr-dup")
    member.conn.compute.create_keypair(name=name)
    again = raw(member.conn, "post", "/os-keypairs", json={"keypair": {"name": name}})
    assert "already exists" in fault(again, 409)
    raw(admin, "put", f"/os-quota-sets/{member.project.id}",
        json={"quota_set": {"key_pairs": 1}})
    over = raw(member.conn, "post", "/os-keypairs", json={"keypair": {"name": name + "2"}})
    assert "Quota exceeded, too many key pairs." == fault(over, 403)
    raw(admin, "delete", f"/os-quota-sets/{member.project.id}")
