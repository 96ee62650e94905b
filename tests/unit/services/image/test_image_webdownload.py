"""web-download: the URL allow-list, and fetching with redirects checked against it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from nimbus.services.image.options import ImageOptions
from nimbus.services.image.service.webdownload import DownloadFailed, UrlFilter, fetch


def url_filter(hosts: tuple[str, ...], ports: tuple[str, ...] = ("80", "443")) -> UrlFilter:
    return UrlFilter.from_options(replace(ImageOptions(), web_download_allowed_hosts=hosts,
                                          web_download_allowed_ports=ports))


def test_by_default_no_url_passes():
    refuse_all = UrlFilter.from_options(ImageOptions())
    assert not refuse_all.allows("http://127.0.0.1/disk.qcow2")
    assert not refuse_all.allows("https://example.org/disk.qcow2")


@pytest.mark.parametrize("uri,allowed", [
    ("http://images.example/a.qcow2", True),
    ("https://IMAGES.example./a.qcow2", True),
    ("http://images.example:443/a.qcow2", True),
    ("http://images.example:8080/a.qcow2", False),
    ("ftp://images.example/a.qcow2", False),
    ("file:///etc/passwd", False),
    ("http://other.example/a.qcow2", False),
    ("http://images.example.evil/a", False),
    ("http://images.example:99999/a", False),
    ("", False),
    (None, False),
    ("images.example/a.qcow2", False),
])
def test_scheme_host_and_port_must_all_be_listed(uri, allowed):
    assert url_filter(("images.example",)).allows(uri) is allowed


class Server:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                status, headers, body = outer.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    threading.Thread(target=srv.httpd.serve_forever, daemon=True).start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def test_fetch_follows_redirects_the_filter_allows(server):
    allowed = url_filter(("127.0.0.1",), (str(server.port),))
    server.routes["/data"] = (200, {}, b"x" * 3_000_000)
    server.routes["/hop"] = (302, {"Location": "/data"}, b"")
    assert b"".join(fetch(server.url("/hop"), allowed)) == b"x" * 3_000_000


def test_fetch_refuses_redirects_off_the_list_and_loops(server):
    allowed = url_filter(("127.0.0.1",), (str(server.port),))
    server.routes["/away"] = (301, {"Location": server.url("/data", "localhost")}, b"")
    with pytest.raises(DownloadFailed, match="Redirect to disallowed URL: http://localhost"):
        b"".join(fetch(server.url("/away"), allowed))
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(DownloadFailed, match="Too many redirects"):
        b"".join(fetch(server.url("/loop"), allowed))


def test_fetch_refuses_errors_and_announced_oversize(server):
    allowed = url_filter(("127.0.0.1",), (str(server.port),))
    with pytest.raises(DownloadFailed, match="returned HTTP 404"):
        b"".join(fetch(server.url("/missing"), allowed))
    server.routes["/big"] = (200, {}, b"y" * 2000)
    with pytest.raises(DownloadFailed, match="larger"):
        b"".join(fetch(server.url("/big"), allowed, expected_limit=1000))
    with pytest.raises(DownloadFailed, match="Failed to fetch"):
        b"".join(fetch(f"http://127.0.0.1:{server.port + 1}/x", allowed))
