"""python-swiftclient's Connection API against the live object store: accounts, containers,
objects, metadata, copies, ranges, conditionals, expiry, listings and their counts."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from collections.abc import Callable

import pytest
import swiftclient
from swiftclient import ClientException

Make = Callable[..., str]


def test_account_counts_follow_puts_and_deletes(swift: swiftclient.Connection,
                                                make_container: Make) -> None:
    before = swift.head_account()
    name = make_container()
    swift.put_object(name, "a", b"12345")
    swift.put_object(name, "b", b"123")
    swift.put_object(name, "a", b"1")  # overwrite: one object, new size
    headers = swift.head_container(name)
    assert headers["x-container-object-count"] == "2"
    assert headers["x-container-bytes-used"] == "4"
    after = swift.head_account()
    assert int(after["x-account-container-count"]) == \
        int(before["x-account-container-count"]) + 1
    assert int(after["x-account-object-count"]) == int(before["x-account-object-count"]) + 2
    assert int(after["x-account-bytes-used"]) == int(before["x-account-bytes-used"]) + 4
    swift.delete_object(name, "b")
    assert swift.head_container(name)["x-container-bytes-used"] == "1"
    listed = {c["name"]: c for c in swift.get_account(full_listing=True)[1]}
    assert listed[name]["count"] == 1 and listed[name]["bytes"] == 1


def test_account_metadata_set_and_removed(swift: swiftclient.Connection) -> None:
    swift.post_account({"X-Account-Meta-Color": "blue"})
    assert swift.head_account()["x-account-meta-color"] == "blue"
    swift.post_account({"X-Remove-Account-Meta-Color": "x"})
    assert "x-account-meta-color" not in swift.head_account()


def test_container_put_twice_and_delete_rules(swift: swiftclient.Connection,
                                              make_container: Make) -> None:
    name = make_container()
    resp: dict[str, object] = {}
    swift.put_container(name, response_dict=resp)
    assert resp["status"] == 202
    swift.put_object(name, "o", b"x")
    with pytest.raises(ClientException) as err:
        swift.delete_container(name)
    assert err.value.http_status == 409
    swift.delete_object(name, "o")
    swift.delete_container(name)
    with pytest.raises(ClientException) as err:
        swift.head_container(name)
    assert err.value.http_status == 404
    with pytest.raises(ClientException) as err:
        swift.delete_container(name)
    assert err.value.http_status == 404


def test_container_metadata(swift: swiftclient.Connection, make_container: Make) -> None:
    name = make_container(headers={"X-Container-Meta-One": "1"})
    swift.post_container(name, {"X-Container-Meta-Two": "2"})
    headers = swift.head_container(name)
    assert (headers["x-container-meta-one"], headers["x-container-meta-two"]) == ("1", "2")
    swift.post_container(name, {"X-Remove-Container-Meta-One": "x"})
    assert "x-container-meta-one" not in swift.head_container(name)


def test_object_roundtrip_headers_and_metadata(swift: swiftclient.Connection,
                                               make_container: Make) -> None:
    name = make_container()
    data = b"hello object store\n" * 100
    etag = swift.put_object(name, "dir/file.txt", data,
                            headers={"X-Object-Meta-Color": "red",
                                     "Content-Disposition": "attachment",
                                     "Content-Encoding": "identity"})
    assert etag == hashlib.md5(data).hexdigest()
    headers, body = swift.get_object(name, "dir/file.txt")
    assert body == data
    assert headers["etag"] == etag and headers["content-length"] == str(len(data))
    assert headers["content-type"] == "text/plain"
    assert headers["x-object-meta-color"] == "red"
    assert headers["content-disposition"] == "attachment"
    assert headers["accept-ranges"] == "bytes"
    # Swift's transaction id form, naming the same request as X-Openstack-Request-Id.
    request_hex = headers["x-openstack-request-id"].removeprefix("req-").replace("-", "")
    assert re.fullmatch(r"tx[0-9a-f]{21}-[0-9a-f]{10}", headers["x-trans-id"])
    assert headers["x-trans-id"][2:23] == request_hex[:21]
    assert "last-modified" in headers and "x-timestamp" in headers
    # POST replaces the user metadata (fast-POST), keeps data and content type.
    swift.post_object(name, "dir/file.txt", {"X-Object-Meta-Size": "big"})
    headers = swift.head_object(name, "dir/file.txt")
    assert headers["x-object-meta-size"] == "big" and "x-object-meta-color" not in headers
    assert headers["etag"] == etag and headers["content-type"] == "text/plain"


def test_chunked_upload_and_etag_check(swift: swiftclient.Connection,
                                       make_container: Make) -> None:
    name = make_container()
    data = bytes(range(256)) * 4096  # 1 MiB, sent chunked by swiftclient
    etag = swift.put_object(name, "big", io.BytesIO(data), chunk_size=65536)
    assert etag == hashlib.md5(data).hexdigest()
    assert swift.get_object(name, "big")[1] == data
    with pytest.raises(ClientException) as err:
        swift.put_object(name, "bad", b"abc", etag="0" * 32)
    assert err.value.http_status == 422
    with pytest.raises(ClientException) as err:
        swift.head_object(name, "bad")
    assert err.value.http_status == 404


def test_ranges_single_and_multi(swift: swiftclient.Connection, make_container: Make) -> None:
    name = make_container()
    swift.put_object(name, "r", b"0123456789")
    headers, body = swift.get_object(name, "r", headers={"Range": "bytes=2-4"})
    assert body == b"234" and headers["content-range"] == "bytes 2-4/10"
    assert swift.get_object(name, "r", headers={"Range": "bytes=-3"})[1] == b"789"
    headers, body = swift.get_object(name, "r", headers={"Range": "bytes=0-1,8-"})
    assert headers["content-type"].startswith("multipart/byteranges;boundary=")
    assert b"Content-Range: bytes 0-1/10\r\n\r\n01\r\n" in body
    assert b"Content-Range: bytes 8-9/10\r\n\r\n89\r\n" in body
    with pytest.raises(ClientException) as err:
        swift.get_object(name, "r", headers={"Range": "bytes=20-30"})
    assert err.value.http_status == 416


def test_conditional_get_and_put(swift: swiftclient.Connection, make_container: Make) -> None:
    name = make_container()
    etag = swift.put_object(name, "c", b"data")
    with pytest.raises(ClientException) as err:
        swift.get_object(name, "c", headers={"If-None-Match": etag})
    assert err.value.http_status == 304
    with pytest.raises(ClientException) as err:
        swift.get_object(name, "c", headers={"If-Match": "nope"})
    assert err.value.http_status == 412
    assert swift.get_object(name, "c", headers={"If-Match": etag})[1] == b"data"
    modified = swift.head_object(name, "c")["last-modified"]
    with pytest.raises(ClientException) as err:
        swift.get_object(name, "c", headers={"If-Modified-Since": modified})
    assert err.value.http_status == 304
    with pytest.raises(ClientException) as err:
        swift.put_object(name, "c", b"other", headers={"If-None-Match": "*"})
    assert err.value.http_status == 412
    assert swift.get_object(name, "c")[1] == b"data"


def test_copy_with_x_copy_from_and_copy_verb(swift: swiftclient.Connection,
                                             make_container: Make) -> None:
    src, dst = make_container(), make_container()
    swift.put_object(src, "orig", b"copy me", headers={"X-Object-Meta-A": "1"})
    swift.put_object(dst, "via-put", b"", headers={"X-Copy-From": f"/{src}/orig"})
    headers, body = swift.get_object(dst, "via-put")
    assert body == b"copy me" and headers["x-object-meta-a"] == "1"
    swift.copy_object(src, "orig", f"/{dst}/via-copy", headers={"X-Object-Meta-B": "2"})
    headers, body = swift.get_object(dst, "via-copy")
    assert body == b"copy me"
    assert (headers["x-object-meta-a"], headers["x-object-meta-b"]) == ("1", "2")
    with pytest.raises(ClientException) as err:
        swift.copy_object(src, "missing", f"/{dst}/x")
    assert err.value.http_status == 404


def test_delete_after_expires_the_object(swift: swiftclient.Connection,
                                         make_container: Make) -> None:
    name = make_container()
    swift.put_object(name, "brief", b"soon gone", headers={"X-Delete-After": "3"})
    assert "x-delete-at" in swift.head_object(name, "brief")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            swift.head_object(name, "brief")
        except ClientException as err:
            assert err.http_status == 404
            break
        time.sleep(0.3)
    else:
        pytest.fail("the object outlived its X-Delete-After")
    # The expirer removes it from the listing too.
    while time.monotonic() < deadline:
        if not swift.get_container(name)[1]:
            break
        time.sleep(0.5)
    assert swift.get_container(name)[1] == []


@pytest.fixture(scope="module")
def tree(swift: swiftclient.Connection) -> str:
    name = "listing-tree"
    swift.put_container(name)
    for obj in ("a", "b/1", "b/2", "b/c/3", "d", "e.txt"):
        swift.put_object(name, obj, obj.encode())
    return name


def names(conn: swiftclient.Connection, container: str, **query: object) -> list[str]:
    _h, listing = conn.get_container(container, **query)
    return [i.get("name") or i["subdir"] for i in listing]


def test_listing_parameters(swift: swiftclient.Connection, tree: str) -> None:
    assert names(swift, tree) == ["a", "b/1", "b/2", "b/c/3", "d", "e.txt"]
    assert names(swift, tree, prefix="b/") == ["b/1", "b/2", "b/c/3"]
    assert names(swift, tree, delimiter="/") == ["a", "b/", "d", "e.txt"]
    assert names(swift, tree, prefix="b/", delimiter="/") == ["b/1", "b/2", "b/c/"]
    assert names(swift, tree, marker="b/2") == ["b/c/3", "d", "e.txt"]
    assert names(swift, tree, end_marker="b/2") == ["a", "b/1"]
    assert names(swift, tree, limit=2) == ["a", "b/1"]
    assert names(swift, tree, path="b") == ["b/1", "b/2"]
    _h, listing = swift.get_container(tree, query_string="reverse=on")
    assert [i["name"] for i in listing] == ["e.txt", "d", "b/c/3", "b/2", "b/1", "a"]


def test_listing_formats(swift: swiftclient.Connection, tree: str) -> None:
    # Plain and XML through swiftclient's raw http_connection (get_container asks JSON).
    url, token = swift.get_auth()
    parsed, conn = swiftclient.http_connection(f"{url}/{tree}?format=xml")
    conn.request("GET", f"{parsed.path}?format=xml", "", {"X-Auth-Token": token})
    xml = conn.getresponse().read().decode()
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert f'<container name="{tree}"><object><name>a</name>' in xml
    conn.request("GET", f"{parsed.path}?delimiter=/", "", {"X-Auth-Token": token})
    text = conn.getresponse().read().decode()
    assert text == "a\nb/\nd\ne.txt\n"
    conn.request("GET", f"{parsed.path}?format=json&prefix=e", "", {"X-Auth-Token": token})
    doc = json.loads(conn.getresponse().read())
    assert doc[0]["name"] == "e.txt" and doc[0]["bytes"] == 5
    assert doc[0]["content_type"] == "text/plain" and "." in doc[0]["last_modified"]


def test_capabilities(swift: swiftclient.Connection) -> None:
    caps = swift.get_capabilities()
    assert caps["swift"]["max_file_size"] == 5368709122
    assert caps["swift"]["max_object_name_length"] == 1024


def test_empty_object_metadata_is_kept(swift: swiftclient.Connection,
                                       make_container: Make) -> None:
    name = make_container()
    swift.put_object(name, "o", b"x", headers={"X-Object-Meta-Blank": ""})
    assert swift.head_object(name, "o")["x-object-meta-blank"] == ""
    swift.post_object(name, "o", {"X-Object-Meta-Other": ""})
    headers = swift.head_object(name, "o")
    assert headers["x-object-meta-other"] == "" and "x-object-meta-blank" not in headers
