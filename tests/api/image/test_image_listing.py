"""GET /v2/images through openstacksdk and the CLI: filters, sorting, paging."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from keystoneauth1 import exceptions as ks_exc

from tests.api.conftest import unique


@pytest.fixture
def catalogue(make_image):
    """Four images of one test, told apart by a tag no other test uses."""
    tag = unique("list")
    images = [
        make_image(name=f"{tag}-a", tags=[tag, "small"], data=b"a" * 100),
        make_image(name=f"{tag}-b", tags=[tag], data=b"b" * 3000, container_format="ovf"),
        make_image(name=f"{tag}-c", tags=[tag, "small"], disk_format="qcow2"),
        make_image(name=f"{tag}-d", tags=[tag], data=b"d" * 2000, visibility="private",
                   os_distro="debian"),
    ]
    return tag, images


def names(images):
    return sorted(i.name for i in images)


def test_filters(admin, catalogue):
    tag, _ = catalogue

    def listed(**query):
        return names(admin.image.images(tag=tag, **query))

    assert listed() == [f"{tag}-a", f"{tag}-b", f"{tag}-c", f"{tag}-d"]
    assert listed(status="queued") == [f"{tag}-c"]
    assert listed(disk_format="qcow2") == [f"{tag}-c"]
    assert listed(container_format="ovf") == [f"{tag}-b"]
    assert listed(visibility="private") == [f"{tag}-d"]
    assert listed(size_min=1000, size_max=2500) == [f"{tag}-d"]
    assert listed(name=f"{tag}-b") == [f"{tag}-b"]
    assert listed(name=f"in:{tag}-a,{tag}-c") == [f"{tag}-a", f"{tag}-c"]
    assert listed(os_distro="debian") == [f"{tag}-d"]
    assert names(admin.image.images(tag=[tag, "small"])) == [f"{tag}-a", f"{tag}-c"]
    assert listed(owner=admin.current_project_id) == listed()
    assert listed(owner="someone-else") == []


def test_time_filters(admin, catalogue):
    tag, images = catalogue
    created = [admin.image.get_image(i.id).created_at for i in images]
    first = min(created)  # shown to the second; stored finer
    after = (dt.datetime.fromisoformat(max(created).replace("Z", "+00:00"))
             + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(names(admin.image.images(tag=tag, created_at=f"gte:{first}"))) == 4
    assert names(admin.image.images(tag=tag, created_at=f"gt:{after}")) == []
    assert len(names(admin.image.images(tag=tag, created_at=f"lt:{after}"))) == 4
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(names(admin.image.images(tag=tag, updated_at=f"lt:{later}"))) == 4
    assert names(admin.image.images(tag=tag, updated_at=f"gte:{later}")) == []


def test_sorting(admin, catalogue):
    tag, _ = catalogue
    by_name = [i.name for i in admin.image.images(tag=tag, sort="name:asc")]
    assert by_name == sorted(by_name)
    by_size = [i.size or 0 for i in admin.image.images(tag=tag, sort_key="size",
                                                        sort_dir="desc")]
    assert by_size == sorted(by_size, reverse=True)
    two_keys = [(i.status, i.name) for i in admin.image.images(
        tag=tag, sort="status:asc,name:desc")]
    assert two_keys == sorted(two_keys, key=lambda p: (p[0], [-ord(c) for c in p[1]]))


def test_paging_follows_next_links(admin, catalogue, image_url):
    tag, _ = catalogue
    paged = [i.name for i in admin.image.images(tag=tag, sort="name:asc", limit=1)]
    assert paged == [f"{tag}-a", f"{tag}-b", f"{tag}-c", f"{tag}-d"]
    page = admin.session.get(f"{image_url}/images?tag={tag}&limit=3&sort=name:asc").json()
    assert len(page["images"]) == 3 and page["next"].startswith("/v2/images?")
    assert "marker=" in page["next"] and page["first"].startswith("/v2/images?")
    rest = admin.session.get(f"{image_url}{page['next'][3:]}").json()
    assert [i["name"] for i in rest["images"]] == [f"{tag}-d"] and "next" not in rest


def test_cli_list_filters(image_cli, catalogue):
    tag, _ = catalogue
    listed = image_cli("image", "list", "--tag", tag, "--status", "active", "--sort",
                       "name:asc", "-f", "json")
    assert [i["Name"] for i in listed] == [f"{tag}-a", f"{tag}-b", f"{tag}-d"]
    private = image_cli("image", "list", "--private", "--tag", tag, "-f", "json")
    assert [i["Name"] for i in private] == [f"{tag}-d"]
    paged = image_cli("image", "list", "--tag", tag, "--limit", "2", "--sort", "name:desc",
                      "-f", "json")
    assert [i["Name"] for i in paged] == [f"{tag}-d", f"{tag}-c"]


def test_hidden_images_show_only_when_asked(admin, make_image, image_url):
    tag = unique("hidden")
    make_image(name=tag, tags=[tag], meta={"os_hidden": True})
    assert list(admin.image.images(tag=tag)) == []
    shown = admin.session.get(f"{image_url}/images?tag={tag}&os_hidden=true").json()
    assert [i["name"] for i in shown["images"]] == [tag]


@pytest.mark.parametrize("query", [
    "limit=x", "limit=-1", "sort_key=owner", "sort_dir=up", "sort=name:sideways",
    "sort=name&sort_key=name", "visibility=everyone", "member_status=maybe",
    "os_hidden=perhaps", "protected=perhaps", "size_min=big", "size=big",
    "created_at=gt:yesterday", "created_at=about:2024-01-01T00:00:00Z", "name=like:x",
    "marker=00000000-0000-0000-0000-000000000000", "changes-since=2024-01-01",
    "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc",
])
def test_bad_list_queries_are_400(admin, image_url, query):
    with pytest.raises(ks_exc.BadRequest):
        admin.session.get(f"{image_url}/images?{query}")


def test_deleted_images_leave_the_list(admin, make_image):
    image = make_image(name=unique("gone"))
    admin.image.delete_image(image)
    time.sleep(0.01)
    assert image.id not in [i.id for i in admin.image.images(name=image.name)]


def test_listed_images_carry_their_tags_and_properties(admin, catalogue, image_url):
    """A list entry shows what GET /v2/images/{id} shows: every custom property, the tags."""
    tag, images = catalogue
    listed = admin.session.get(f"{image_url}/images?tag={tag}").json()["images"]
    assert sorted(i["name"] for i in listed) == names(images)
    for entry in listed:
        shown = admin.session.get(f"{image_url}/images/{entry['id']}").json()
        assert entry == shown
    debian = next(i for i in listed if i["name"] == f"{tag}-d")
    assert debian["os_distro"] == "debian"
    assert sorted(next(i for i in listed if i["name"] == f"{tag}-a")["tags"]) == \
        sorted([tag, "small"])
