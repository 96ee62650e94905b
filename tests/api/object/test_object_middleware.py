"""The middleware pipeline through python-swiftclient: large objects (the `swift` CLI's
--segment-size, DLO and SLO), bulk delete and extract-archive, versioned writes, quotas and
temporary URLs."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import swiftclient
from swiftclient import ClientException
from swiftclient.utils import generate_temp_url

from tests.api.object.conftest import empty_container, unique

Make = Callable[..., str]


def test_cli_segmented_uploads_dlo_and_slo(swift_cli: Callable[..., Any],
                                           swift: swiftclient.Connection,
                                           tmp_path: Path) -> None:
    data = os.urandom(3000)
    (tmp_path / "big.bin").write_bytes(data)
    names = [unique("dlo"), unique("slo")]
    try:
        swift_cli("upload", "--use-dlo", "--segment-size", "1000", names[0], "big.bin")
        swift_cli("upload", "--use-slo", "--segment-size", "1000", names[1], "big.bin")
        for name in names:
            headers, body = swift.get_object(name, "big.bin")
            assert body == data and headers["etag"].startswith('"')
            headers, body = swift.get_object(name, "big.bin", headers={"Range": "bytes=990-1010"})
            assert body == data[990:1011]
        assert swift.head_object(names[1], "big.bin")["x-static-large-object"] == "True"
        assert "x-object-manifest" in swift.head_object(names[0], "big.bin")
        swift_cli("delete", names[1], "big.bin")
        assert swift.get_container(names[1] + "_segments")[1] == []
    finally:
        for name in names + [n + "_segments" for n in names]:
            empty_container(swift, name)


def test_slo_manifest_checks(swift: swiftclient.Connection, make_container: Make) -> None:
    name = make_container()
    swift.put_object(name, "seg", b"segment")
    good = [{"path": f"/{name}/seg", "etag": hashlib.md5(b"segment").hexdigest(),
             "size_bytes": 7}]
    swift.put_object(name, "m", swiftclient.utils.json.dumps(good * 2),
                     query_string="multipart-manifest=put")
    assert swift.get_object(name, "m")[1] == b"segmentsegment"
    bad = [{"path": f"/{name}/seg", "etag": "0" * 32, "size_bytes": 7},
           {"path": f"/{name}/missing", "etag": None, "size_bytes": None}]
    try:
        swift.put_object(name, "bad", swiftclient.utils.json.dumps(bad),
                         query_string="multipart-manifest=put")
    except ClientException as err:
        assert err.http_status == 400
        assert "Etag Mismatch" in str(err.http_response_content)
        assert "404 Not Found" in str(err.http_response_content)
    else:
        raise AssertionError("a manifest of bad segments was stored")
    assert sorted(o["name"] for o in swift.get_container(name)[1]) == ["m", "seg"]


def test_bulk_extract_and_delete(swift: swiftclient.Connection) -> None:
    name = unique("bulk")
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for obj in ("one.txt", "sub/two.txt"):
            info = tarfile.TarInfo(f"{name}/{obj}")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
    url, token = swift.get_auth()
    try:
        made = httpx.put(f"{url}?extract-archive=tar.gz", content=archive.getvalue(),
                         headers={"X-Auth-Token": token, "Accept": "application/json"})
        assert made.status_code == 200 and made.json()["Number Files Created"] == 2
        assert [o["name"] for o in swift.get_container(name)[1]] == ["one.txt", "sub/two.txt"]
        body = f"{name}/one.txt\n{name}/sub/two.txt\n{name}\n{name}/gone"
        gone = httpx.request("DELETE", f"{url}?bulk-delete", content=body.encode(),
                             headers={"X-Auth-Token": token, "Accept": "application/json"})
        assert gone.json()["Number Deleted"] == 3 and gone.json()["Number Not Found"] == 1
        assert name not in [c["name"] for c in swift.get_account()[1]]
    finally:
        empty_container(swift, name)


def test_versioned_writes_stack(swift: swiftclient.Connection, make_container: Make) -> None:
    archive = make_container()
    name = make_container(headers={"X-Versions-Location": archive})
    swift.put_object(name, "doc", b"v1")
    swift.put_object(name, "doc", b"v2")
    assert swift.get_object(name, "doc")[1] == b"v2"
    assert len(swift.get_container(archive)[1]) == 1
    swift.delete_object(name, "doc")
    assert swift.get_object(name, "doc")[1] == b"v1"
    swift.delete_object(name, "doc")
    assert swift.get_container(name)[1] == [] and swift.get_container(archive)[1] == []


def test_container_quota(swift: swiftclient.Connection, make_container: Make) -> None:
    name = make_container(headers={"X-Container-Meta-Quota-Bytes": "10"})
    swift.put_object(name, "fits", b"12345")
    try:
        swift.put_object(name, "too-big", b"1234567890")
    except ClientException as err:
        assert err.http_status == 413
    else:
        raise AssertionError("an upload past the quota was stored")
    assert [o["name"] for o in swift.get_container(name)[1]] == ["fits"]


def test_tempurl_get_put_and_expiry(swift: swiftclient.Connection, make_container: Make
                                    ) -> None:
    name = make_container(headers={"X-Container-Meta-Temp-Url-Key": "sekrit"})
    swift.put_object(name, "shared.txt", b"via temp url")
    url, _token = swift.get_auth()
    base = url.split("/object-store", 1)[0]
    path = f"/object-store{url.split('/object-store', 1)[1]}/{name}/shared.txt"
    signed = generate_temp_url(path, 60, "sekrit", "GET", digest="sha256")
    got = httpx.get(base + signed)
    assert got.status_code == 200 and got.content == b"via temp url"
    assert got.headers["content-disposition"].startswith('attachment; filename="shared.txt"')
    # A GET signature does not allow a PUT, an expired one nothing.
    assert httpx.put(base + signed, content=b"x").status_code == 401
    put = generate_temp_url(path, 60, "sekrit", "PUT", digest="sha512")
    assert httpx.put(base + put, content=b"new").status_code == 201
    assert swift.get_object(name, "shared.txt")[1] == b"new"
    expired = generate_temp_url(path, int(time.time()) - 10, "sekrit", "GET",
                                absolute=True, digest="sha256")
    refused = httpx.get(base + expired)
    assert refused.status_code == 401 and b"Temp URL invalid" in refused.content
    wrong = generate_temp_url(path, 60, "other", "GET", digest="sha256")
    assert httpx.get(base + wrong).status_code == 401


def test_staticweb_index_and_listing(swift: swiftclient.Connection, make_container: Make
                                     ) -> None:
    name = make_container(headers={"X-Container-Read": ".r:*,.rlistings"})
    swift.put_object(name, "index.html", b"<p>home</p>", content_type="text/html")
    swift.put_object(name, "docs/a.txt", b"a")
    url, _token = swift.get_auth()
    # Without web settings an anonymous GET is the plain listing.
    assert httpx.get(f"{url}/{name}").text == "docs/a.txt\nindex.html\n"
    swift.post_container(name, {"X-Container-Meta-Web-Index": "index.html"})
    assert httpx.get(f"{url}/{name}/").content == b"<p>home</p>"
    swift.post_container(name, {"X-Container-Meta-Web-Listings": "true",
                                "X-Container-Meta-Web-Listings-CSS": "style.css"})
    page = httpx.get(f"{url}/{name}/docs/")
    assert page.headers["content-type"].startswith("text/html")
    assert '<a href="a.txt">a.txt</a>' in page.text
    assert '<link rel="stylesheet" type="text/css" href="style.css" />' in page.text
    # With a token it is the API again.
    assert swift.get_container(name, prefix="docs/")[1][0]["name"] == "docs/a.txt"


def test_crossdomain_and_healthcheck(swift: swiftclient.Connection) -> None:
    url, _token = swift.get_auth()
    root = url.split("/v1/", 1)[0]
    policy = httpx.get(f"{root}/crossdomain.xml")
    assert policy.status_code == 200 and "<cross-domain-policy>" in policy.text
    assert httpx.get(f"{root}/healthcheck").text == "OK"


def test_formpost_upload(swift: swiftclient.Connection, make_container: Make) -> None:
    import hashlib as hl
    import hmac

    name = make_container(headers={"X-Container-Meta-Temp-Url-Key": "formkey"})
    url, _token = swift.get_auth()
    path = "/object-store" + url.split("/object-store", 1)[1] + f"/{name}/up/"
    expires = int(time.time()) + 60

    def form(signed_expires: int, key: str) -> tuple[bytes, str]:
        message = f"{path}\n\n1000\n2\n{signed_expires}"
        signature = hmac.new(key.encode(), message.encode(), hl.sha256).hexdigest()
        fields = {"redirect": "", "max_file_size": "1000", "max_file_count": "2",
                  "expires": str(signed_expires), "signature": signature}
        lines = []
        for field, value in fields.items():
            lines += ["--XB", f'Content-Disposition: form-data; name="{field}"', "", value]
        lines += ["--XB", 'Content-Disposition: form-data; name="f"; filename="a.txt"',
                  "Content-Type: text/plain", "", "form data", "--XB--", ""]
        return "\r\n".join(lines).encode(), "multipart/form-data; boundary=XB"

    body, media = form(expires, "formkey")
    made = httpx.post(f"{url}/{name}/up/", content=body, headers={"Content-Type": media})
    assert made.status_code == 201
    assert swift.get_object(name, "up/a.txt")[1] == b"form data"
    body, media = form(expires, "wrong")
    refused = httpx.post(f"{url}/{name}/up/", content=body, headers={"Content-Type": media})
    assert refused.status_code == 401 and b"FormPost: Invalid Signature" in refused.content
    body, media = form(int(time.time()) - 5, "formkey")
    late = httpx.post(f"{url}/{name}/up/", content=body, headers={"Content-Type": media})
    assert late.status_code == 401 and b"FormPost: Form Expired" in late.content


def test_symlinks(swift: swiftclient.Connection, make_container: Make) -> None:
    src, dst = make_container(), make_container()
    swift.put_object(src, "file.txt", b"target data")
    swift.put_object(dst, "link", b"", headers={"X-Symlink-Target": f"{src}/file.txt"},
                     content_type="application/symlink")
    headers, body = swift.get_object(dst, "link")
    assert body == b"target data"
    assert headers["content-location"].endswith(f"/{src}/file.txt")
    listed = swift.get_container(dst)[1][0]
    assert listed["symlink_path"].endswith(f"/{src}/file.txt")
    raw = swift.head_object(dst, "link", query_string="symlink=get")
    assert raw["x-symlink-target"] == f"{src}/file.txt" and raw["content-length"] == "0"
    try:
        swift.put_object(dst, "bad", b"not empty", headers={"X-Symlink-Target": f"{src}/x"})
    except ClientException as err:
        assert err.http_status == 400
    else:
        raise AssertionError("a symlink with a body was stored")
    swift.delete_object(src, "file.txt")
    try:
        swift.get_object(dst, "link")
    except ClientException as err:
        assert err.http_status == 404
    else:
        raise AssertionError("a link to a deleted object still answered")
