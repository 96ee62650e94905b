"""Who may do what (keystoneauth's rules): owners, other projects, container ACLs, public
reads, account ACLs; 401 without a token, 403 with one that has no right."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import swiftclient
from swiftclient import ClientException

from tests.api.object.conftest import unique


def status_of(call: Callable[[], Any]) -> int:
    try:
        call()
    except ClientException as err:
        return int(err.http_status or 0)
    return 200


def test_projects_are_isolated(swift_member: Callable[..., Any]) -> None:
    alice, bob = swift_member(), swift_member()
    name = unique("mine")
    alice.swift.put_container(name)
    alice.swift.put_object(name, "secret", b"alice's")
    assert name not in [c["name"] for c in bob.swift.get_account()[1]]
    alice_url = alice.swift.get_auth()[0]
    bob_token = bob.swift.get_auth()[1]
    listing = httpx.get(alice_url, headers={"X-Auth-Token": bob_token})
    assert listing.status_code == 403
    read = httpx.get(f"{alice_url}/{name}/secret", headers={"X-Auth-Token": bob_token})
    assert read.status_code == 403 and b"alice" not in read.content
    assert read.headers["content-type"].startswith("text/html")
    anonymous = httpx.get(f"{alice_url}/{name}/secret")
    assert anonymous.status_code == 401
    assert b"<h1>Unauthorized</h1>" in anonymous.content


def test_container_read_and_write_acls(swift_member: Callable[..., Any]) -> None:
    owner, reader = swift_member(), swift_member()
    name = unique("shared")
    grant = f"{reader.project.id}:{reader.user.id}"
    owner.swift.put_container(name, headers={"X-Container-Read": grant})
    owner.swift.put_object(name, "doc", b"shared doc")
    url = owner.swift.get_auth()[0]
    token = reader.swift.get_auth()[1]
    assert httpx.get(f"{url}/{name}/doc", headers={"X-Auth-Token": token}).content == \
        b"shared doc"
    put = httpx.put(f"{url}/{name}/new", headers={"X-Auth-Token": token}, content=b"x")
    assert put.status_code == 403
    owner.swift.post_container(name, {"X-Container-Write": f"{reader.project.id}:*"})
    put = httpx.put(f"{url}/{name}/new", headers={"X-Auth-Token": token}, content=b"x")
    assert put.status_code == 201
    # The ACLs are the owner's to see.
    head = httpx.head(f"{url}/{name}", headers={"X-Auth-Token": token})
    assert head.status_code == 204 and "x-container-read" not in head.headers
    assert owner.swift.head_container(name)["x-container-read"] == grant


def test_public_container_reads_and_listings(swift_member: Callable[..., Any]) -> None:
    owner = swift_member()
    name = unique("public")
    owner.swift.put_container(name, headers={"X-Container-Read": ".r:*"})
    owner.swift.put_object(name, "page.html", b"<p>hi</p>")
    url = owner.swift.get_auth()[0]
    assert httpx.get(f"{url}/{name}/page.html").content == b"<p>hi</p>"
    assert httpx.get(f"{url}/{name}").status_code == 401  # no .rlistings
    owner.swift.post_container(name, {"X-Container-Read": ".r:*,.rlistings"})
    assert httpx.get(f"{url}/{name}").text == "page.html\n"
    assert httpx.put(f"{url}/{name}/x", content=b"x").status_code == 401


def test_account_acl_read_only(swift_member: Callable[..., Any]) -> None:
    owner, guest = swift_member(), swift_member()
    name = unique("acct")
    owner.swift.put_container(name)
    owner.swift.put_object(name, "o", b"data")
    owner.swift.post_account({"X-Account-Access-Control":
                              json.dumps({"read-only": [guest.project.id]})})
    url = owner.swift.get_auth()[0]
    token = guest.swift.get_auth()[1]
    assert name in httpx.get(url, headers={"X-Auth-Token": token}).text
    assert httpx.get(f"{url}/{name}/o", headers={"X-Auth-Token": token}).content == b"data"
    assert httpx.delete(f"{url}/{name}/o", headers={"X-Auth-Token": token}).status_code == 403
    bad = status_of(lambda: owner.swift.post_account({"X-Account-Access-Control": "nope"}))
    assert bad == 400


def test_reseller_admin_reaches_every_account(swift: swiftclient.Connection,
                                              swift_member: Callable[..., Any]) -> None:
    member = swift_member()
    name = unique("theirs")
    member.swift.put_container(name)
    url = member.swift.get_auth()[0]
    admin_token = swift.get_auth()[1]
    listing = httpx.get(url, headers={"X-Auth-Token": admin_token})
    assert listing.status_code == 200 and name in listing.text


@pytest.mark.parametrize("role", ["reader"])
def test_reader_role_is_no_operator(swift_member: Callable[..., Any], role: str) -> None:
    reader = swift_member(role)
    assert status_of(lambda: reader.swift.put_container(unique("no"))) == 403
