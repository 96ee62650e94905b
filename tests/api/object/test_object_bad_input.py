"""Bad input gets Swift's own 4xx, and nothing is written."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import swiftclient
from swiftclient import ClientException

Make = Callable[..., str]


def status_and_body(call: Callable[[], Any]) -> tuple[int, str]:
    try:
        call()
    except ClientException as err:
        return int(err.http_status or 0), str(err.http_response_content or b"")
    return 200, ""


def listing(conn: swiftclient.Connection, name: str) -> list[str]:
    return [o["name"] for o in conn.get_container(name)[1]]


def test_object_name_limits(swift: swiftclient.Connection, make_container: Make) -> None:
    name = make_container()
    status, body = status_and_body(lambda: swift.put_object(name, "x" * 1025, b"data"))
    assert status == 400 and "Object name length of 1025 longer than 1024" in body
    swift.put_object(name, "x" * 1024, b"data")  # the limit itself is fine
    status, body = status_and_body(lambda: swift.put_object(name, "nul\x00name", b"data"))
    assert status == 412 and "Invalid UTF8 or contains NULL" in body
    # Dots are ordinary characters in Swift object names (whole '..' path segments are
    # folded by the HTTP clients themselves before they leave).
    swift.put_object(name, "..x/a..b/.c", b"dots")
    assert swift.get_object(name, "..x/a..b/.c")[1] == b"dots"
    assert sorted(listing(swift, name)) == ["..x/a..b/.c", "x" * 1024]


def test_container_name_limit(swift: swiftclient.Connection) -> None:
    status, body = status_and_body(lambda: swift.put_container("c" * 257))
    assert status == 400 and "Container name length of 257 longer than 256" in body
    assert "c" * 257 not in [c["name"] for c in swift.get_account()[1]]


@pytest.mark.parametrize("headers, text", [
    ({"X-Object-Meta-" + "k" * 129: "v"}, "Metadata name too long"),
    ({"X-Object-Meta-Big": "v" * 257}, "Metadata value longer than 256"),
    ({f"X-Object-Meta-K{i}": "v" for i in range(91)}, "Too many metadata items; max 90"),
    ({f"X-Object-Meta-K{i}": "v" * 250 for i in range(17)}, "Total metadata too large"),
])
def test_oversized_metadata(swift: swiftclient.Connection, make_container: Make,
                            headers: dict[str, str], text: str) -> None:
    name = make_container()
    status, body = status_and_body(lambda: swift.put_object(name, "m", b"x", headers=headers))
    assert status == 400 and text in body
    assert listing(swift, name) == []


def test_bad_etag_and_delete_headers(swift: swiftclient.Connection, make_container: Make
                                     ) -> None:
    name = make_container()
    status, _ = status_and_body(lambda: swift.put_object(name, "e", b"abc", etag="f" * 32))
    assert status == 422
    status, body = status_and_body(lambda: swift.put_object(
        name, "d", b"abc", headers={"X-Delete-At": "soon"}))
    assert status == 400 and "Non-integer X-Delete-At" in body
    status, body = status_and_body(lambda: swift.put_object(
        name, "d", b"abc", headers={"X-Delete-After": "-5"}))
    assert status == 400 and "X-Delete-After in past" in body
    assert listing(swift, name) == []


def test_missing_length_and_bad_listing_query(swift: swiftclient.Connection,
                                              make_container: Make) -> None:
    name = make_container()
    url, token = swift.get_auth()
    parsed = urlsplit(url)
    for length, status in (("abc", 400), (None, 411)):
        conn = http.client.HTTPConnection(parsed.netloc, timeout=30)
        conn.putrequest("PUT", f"{parsed.path}/{name}/nolength")
        conn.putheader("X-Auth-Token", token)
        if length is not None:
            conn.putheader("Content-Length", length)
        conn.endheaders()
        assert conn.getresponse().status == status
        conn.close()
    bad = httpx.get(f"{url}/{name}?limit=10001", headers={"X-Auth-Token": token})
    assert bad.status_code == 412 and bad.text == "Maximum limit is 10000"
    assert listing(swift, name) == []
