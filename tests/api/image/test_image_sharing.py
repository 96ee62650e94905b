"""Who sees and changes which image: visibility, members, roles (Glance's secure RBAC)."""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc

from tests.api.conftest import unique

DATA = b"shared image data"


@pytest.fixture
def owner(project_user):
    return project_user()


@pytest.fixture
def other(project_user):
    return project_user()


def ids(conn, **query):
    return [i.id for i in conn.image.images(**query)]


def test_private_images_stay_in_their_project(owner, other, make_image, image_url, admin):
    image = make_image(conn=owner.conn, visibility="private", data=DATA)
    with pytest.raises(sdk_exc.NotFoundException):
        other.conn.image.get_image(image.id)
    assert image.id not in ids(other.conn)
    url = f"{image_url}/images/{image.id}"
    for method, path in (("GET", "/file"), ("DELETE", ""), ("PUT", "/tags/x"),
                         ("POST", "/actions/deactivate"), ("GET", "/members")):
        with pytest.raises(ks_exc.NotFound):
            other.session.request(url + path, method)
    assert admin.image.get_image(image.id).owner == owner.project.id
    assert image.id in ids(admin)


def test_members_of_a_shared_image(owner, other, make_image, image_url):
    image = make_image(conn=owner.conn, visibility="shared", data=DATA)
    assert image.id not in ids(other.conn)
    with pytest.raises(sdk_exc.NotFoundException):
        other.conn.image.get_image(image.id)
    member = owner.conn.image.add_member(image, member_id=other.project.id)
    assert member.status == "pending"
    # A pending member can look the image up, but it is not listed until accepted.
    assert other.conn.image.get_image(image.id).id == image.id
    assert image.id not in ids(other.conn)
    assert image.id in ids(other.conn, member_status="pending")
    other.conn.image.update_member(member, image, status="accepted")
    assert image.id in ids(other.conn)
    assert other.conn.image.download_image(image.id).content == DATA
    # The member sees only its own membership; the owner sees all.
    assert [m.member_id for m in other.conn.image.members(image)] == [other.project.id]
    assert [m.member_id for m in owner.conn.image.members(image)] == [other.project.id]
    assert other.conn.image.get_member(other.project.id, image).status == "accepted"


def test_what_members_may_not_do(owner, other, make_image, image_url, project_user):
    image = make_image(conn=owner.conn, visibility="shared")
    owner.conn.image.add_member(image, member_id=other.project.id)
    url = f"{image_url}/images/{image.id}"
    forbidden = [
        ("PATCH", "", {"json": [], "headers": {
            "Content-Type": "application/openstack-images-v2.1-json-patch"}}),
        ("DELETE", "", {}),
        ("POST", "/members", {"json": {"member": "someone"}}),
        ("DELETE", f"/members/{other.project.id}", {}),
    ]
    for method, path, extra in forbidden:
        with pytest.raises(ks_exc.Forbidden):
            other.session.request(url + path, method, **extra)
    # Only the member answers for itself, not the owner.
    with pytest.raises(ks_exc.Forbidden):
        owner.session.put(f"{url}/members/{other.project.id}", json={"status": "accepted"})
    with pytest.raises(ks_exc.BadRequest):
        other.session.put(f"{url}/members/{other.project.id}", json={"status": "maybe"})
    stranger = project_user()
    with pytest.raises(ks_exc.NotFound):
        stranger.session.get(f"{url}/members/{other.project.id}")


def test_member_rules(owner, other, make_image, image_url):
    private = make_image(conn=owner.conn, visibility="private")
    with pytest.raises(ks_exc.Forbidden):
        owner.session.post(f"{image_url}/images/{private.id}/members",
                           json={"member": other.project.id})
    with pytest.raises(ks_exc.NotFound):
        owner.session.get(f"{image_url}/images/{private.id}/members/{other.project.id}")
    shared = make_image(conn=owner.conn, visibility="shared")
    url = f"{image_url}/images/{shared.id}/members"
    owner.session.post(url, json={"member": other.project.id})
    with pytest.raises(ks_exc.Conflict):
        owner.session.post(url, json={"member": other.project.id})
    for bad in ({}, {"member": ""}, ["x"]):
        with pytest.raises(ks_exc.BadRequest):
            owner.session.post(url, json=bad)
    with pytest.raises(ks_exc.NotFound):
        owner.session.get(f"{url}/not-a-member")
    owner.conn.image.remove_member(other.project.id, shared)
    with pytest.raises(sdk_exc.NotFoundException):
        other.conn.image.get_image(shared.id)


def test_cli_sharing(owner, other, make_image, image_cli):
    image = make_image(conn=owner.conn, visibility="shared")
    image_cli("image", "add", "project", image.id, other.project.id)
    members = image_cli("image", "member", "list", image.id, "-f", "json")
    assert [(m["Member ID"], m["Status"]) for m in members] == [(other.project.id, "pending")]
    image_cli("image", "set", "--accept", image.id, user_env=other.cli_env)
    shown = image_cli("image", "member", "list", image.id, "-f", "json")
    assert shown[0]["Status"] == "accepted"
    listed = image_cli("image", "list", "-f", "json", user_env=other.cli_env)
    assert image.id in [i["ID"] for i in listed]
    image_cli("image", "remove", "project", image.id, other.project.id)
    assert image_cli("image", "member", "list", image.id, "-f", "json") == []


def test_publicizing_needs_an_admin(owner, other, make_image, image_url, admin):
    with pytest.raises(sdk_exc.ForbiddenException):
        owner.conn.image.create_image(name=unique("pub"), visibility="public",
                                      disk_format="raw", container_format="bare",
                                      allow_duplicates=True)
    image = make_image(conn=owner.conn, visibility="private")
    with pytest.raises(sdk_exc.ForbiddenException):
        owner.conn.image.update_image(image, visibility="public")
    admin.image.update_image(image, visibility="public")
    assert other.conn.image.get_image(image.id).visibility == "public"
    assert image.id in ids(other.conn)


def test_community_images(owner, other, make_image):
    image = make_image(conn=owner.conn, visibility="community", data=DATA)
    # Reachable by id and by asking for community images; not in others' default list.
    assert other.conn.image.get_image(image.id).visibility == "community"
    assert image.id not in ids(other.conn)
    assert image.id in ids(other.conn, visibility="community")
    assert image.id in ids(owner.conn)
    assert other.conn.image.download_image(image.id).content == DATA


def test_readers_read_and_nothing_more(owner, make_image, project_user, admin, cloud,
                                       image_url):
    from tests.api.conftest import connection_for, password_session

    image = make_image(conn=owner.conn, visibility="private", data=DATA)
    password = "reader-pass-123"
    reader = admin.identity.create_user(name=unique("reader"), domain_id="default",
                                        password=password)
    try:
        admin.identity.assign_project_role_to_user(
            owner.project, reader, admin.identity.find_role("reader"))
        sess = password_session(cloud, reader.name, password, project_id=owner.project.id)
        conn = connection_for(sess)
        assert conn.image.get_image(image.id).id == image.id
        assert image.id in ids(conn)
        with pytest.raises(ks_exc.Forbidden):
            sess.post(f"{image_url}/images", json={"name": "nope"})
        with pytest.raises(ks_exc.Forbidden):
            sess.delete(f"{image_url}/images/{image.id}")
        with pytest.raises(ks_exc.Forbidden):
            sess.get(f"{image_url}/images/{image.id}/file")
    finally:
        admin.identity.delete_user(reader)


def test_system_scope_is_not_for_images(cloud, image_url):
    import yaml

    from tests.api.conftest import password_session

    password = yaml.safe_load(cloud.clouds_yaml.read_text())["clouds"]["nimbus"]["auth"][
        "password"]
    sess = password_session(cloud, "admin", password, system_scope="all")
    with pytest.raises(ks_exc.Forbidden):
        sess.get(f"{image_url}/images")


def test_creating_for_another_project_needs_an_admin(owner, other, admin, image_url,
                                                     make_image):
    with pytest.raises(ks_exc.Forbidden):
        owner.session.post(f"{image_url}/images",
                           json={"name": "theirs", "owner": other.project.id})
    made = admin.session.post(f"{image_url}/images",
                              json={"name": "theirs", "owner": other.project.id}).json()
    try:
        assert made["owner"] == other.project.id
        assert other.conn.image.get_image(made["id"]).owner == other.project.id
    finally:
        admin.image.delete_image(made["id"])
    mine = make_image(conn=owner.conn)
    with pytest.raises(sdk_exc.ForbiddenException):
        owner.conn.image.update_image(mine, owner=other.project.id)
    admin.image.update_image(mine, owner=other.project.id)
    assert other.conn.image.get_image(mine.id).owner == other.project.id
