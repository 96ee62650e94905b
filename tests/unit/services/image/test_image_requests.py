"""Parsing image requests: JSON patches, list queries and Range headers."""

from __future__ import annotations

import json

import pytest
from starlette.datastructures import QueryParams

from nimbus.kernel.errors import CloudError
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.schemas.listing import parse_list_query
from nimbus.services.image.schemas.patch import Change, decode_pointer, parse_patch
from nimbus.services.image.service.data import parse_range
from nimbus.services.image.service.listing import split_in_values, split_operator

NEW = "application/openstack-images-v2.1-json-patch"
OLD = "application/openstack-images-v2.0-json-patch"
OPTIONS = ImageOptions()


def patch(ops, media=NEW):
    return parse_patch(media, json.dumps(ops).encode(), OPTIONS)


def test_both_patch_dialects():
    assert patch([{"op": "replace", "path": "/name", "value": "x"}]) == \
        [Change("replace", "name", "x")]
    assert patch([{"add": "/a~1b", "value": "v"}], OLD) == \
        [Change("add", "a/b", "v", strict_add=True)]
    assert patch([{"op": "remove", "path": "/color"}]) == [Change("remove", "color")]
    assert parse_patch(f"{NEW}; charset=UTF-8", b"[]", OPTIONS) == []


@pytest.mark.parametrize("ops,status,words", [
    ([{"op": "test", "path": "/x", "value": 1}], 400, "Invalid operation"),
    ([{"op": "add", "path": "/x"}], 400, "requires a member named"),
    ([{"path": "/x", "value": 1}], 400, "Unable to find `op`"),
    ([{"op": "replace", "path": "/created_at", "value": "x"}], 403, "read-only"),
    ([{"op": "replace", "path": "/os_glance_x", "value": "x"}], 403, "reserved"),
    ([{"op": "replace", "path": "/protected", "value": "yes"}], 400, "not of type"),
    ([{"op": "replace", "path": "/name", "value": "n" * 256}], 400, "too long"),
    ([{"op": "add", "path": "/a/b", "value": "x"}], 400, "Invalid JSON pointer"),
    ([17], 400, "must be JSON objects"),
])
def test_bad_patches(ops, status, words):
    with pytest.raises(CloudError) as caught:
        patch(ops)
    assert caught.value.status == status and words in caught.value.message


def test_old_dialect_takes_exactly_one_operation():
    with pytest.raises(CloudError) as caught:
        patch([{"add": "/x", "replace": "/y", "value": 1}], OLD)
    assert caught.value.status == 400 and "exactly one" in caught.value.message


def test_patch_media_type():
    with pytest.raises(CloudError) as caught:
        parse_patch("application/json", b"[]", OPTIONS)
    assert caught.value.status == 415 and NEW in caught.value.headers["Accept-Patch"]


@pytest.mark.parametrize("pointer", ["name", "/", "//", "/a//b", "/a/", "/~2", "/a~"])
def test_bad_pointers(pointer):
    with pytest.raises(CloudError) as caught:
        decode_pointer(pointer)
    assert caught.value.status == 400


def test_list_query_defaults_and_limits():
    query = parse_list_query(QueryParams(""), OPTIONS)
    assert (query.limit, query.sort_keys, query.sort_dirs) == (25, ["created_at"], ["desc"])
    assert (query.member_status, query.os_hidden, query.visibility) == \
        ("accepted", False, None)
    big = parse_list_query(QueryParams("limit=5000"), OPTIONS)
    assert big.limit == 1000
    full = parse_list_query(QueryParams(
        "tag=a&tag=b&sort=name:asc,size&visibility=all&os_hidden=true&name=x&size_min=3"),
        OPTIONS)
    assert full.tags == ["a", "b"] and full.sort_keys == ["name", "size"]
    assert full.sort_dirs == ["asc", "desc"] and full.visibility == "all"
    assert full.os_hidden is True and full.filters == {"name": "x", "size_min": "3"}


def test_filter_operators():
    assert split_operator("gte:2024-01-01T00:00:00Z") == ("gte", "2024-01-01T00:00:00Z")
    assert split_operator("2024-01-01T10:00:00+02:00") == ("eq", "2024-01-01T10:00:00+02:00")
    assert split_operator("plain") == ("eq", "plain")
    assert split_in_values('a,"b,c",d') == ["a", "b,c", "d"]
    with pytest.raises(CloudError):
        split_in_values('"open')


@pytest.mark.parametrize("header,expected", [
    ("bytes=0-9", (0, 10)),
    ("bytes=90-", (90, 10)),
    ("bytes=-5", (95, 5)),
    ("bytes=-500", (0, 100)),
    ("bytes=50-1000", (50, 50)),
    ("bytes=99-99", (99, 1)),
])
def test_ranges(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header,status", [
    ("bytes=100-", 416), ("bytes=5-2", 416), ("bytes=", 416), ("bytes=a-b", 416),
    ("items=0-1", 416), ("bytes=-0", 416), ("bytes=0-1,4-5", 400),
])
def test_bad_ranges(header, status):
    with pytest.raises(CloudError) as caught:
        parse_range(header, 100)
    assert caught.value.status == status
