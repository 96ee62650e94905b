"""web-download: fetching image data from a URL the operator's allow-list lets through.

The filter is Glance's [import_filtering_opts] with allow-lists only: a URL passes when its
scheme, host and (explicit) port are all listed; an empty host list lets nothing through.
Redirects are followed by hand, at most MAX_REDIRECTS of them, and only to URLs that pass
the same filter; the client ignores proxy settings of the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from nimbus.services.image.options import ImageOptions

MAX_REDIRECTS = 5
CHUNK = 1 << 20
# Seconds to connect, and to wait for each read.
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class DownloadFailed(Exception):
    """The URL gave no image data; the message says why (it becomes the task's)."""


@dataclass(frozen=True)
class UrlFilter:
    schemes: frozenset[str]
    hosts: frozenset[str]
    ports: frozenset[int]

    @classmethod
    def from_options(cls, options: ImageOptions) -> UrlFilter:
        ports = frozenset(int(p) for p in options.web_download_allowed_ports if p.isdigit())
        return cls(frozenset(s.lower() for s in options.web_download_allowed_schemes),
                   frozenset(_normal_host(h) for h in options.web_download_allowed_hosts),
                   ports)

    def allows(self, uri: object) -> bool:
        if not isinstance(uri, str) or not uri:
            return False
        try:
            parts = urlsplit(uri)
            port = parts.port
        except ValueError:
            return False
        host = _normal_host(parts.hostname or "")
        if not parts.scheme or parts.scheme.lower() not in self.schemes:
            return False
        if not host or host not in self.hosts:
            return False
        return port is None or port in self.ports


def _normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def fetch(uri: str, allowed: UrlFilter, expected_limit: int | None = None
          ) -> Iterator[bytes]:
    """The body of ``uri`` in chunks; DownloadFailed for an HTTP error, a redirect the
    filter refuses, too many redirects, a body announced larger than ``expected_limit``
    (the caller still counts what arrives) or a broken transfer."""
    try:
        with httpx.Client(follow_redirects=False, timeout=TIMEOUT, trust_env=False) as client:
            url = uri
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", url) as response:
                    if response.is_redirect:
                        url = _next_hop(url, response, allowed)
                        continue
                    _check_response(url, response, expected_limit)
                    yield from response.iter_bytes(CHUNK)
                    return
            raise DownloadFailed(f"Too many redirects fetching {uri}")
    except httpx.HTTPError as exc:
        raise DownloadFailed(f"Failed to fetch {uri}: {exc}") from None


def _next_hop(url: str, response: httpx.Response, allowed: UrlFilter) -> str:
    target = urljoin(url, response.headers.get("location", ""))
    if not allowed.allows(target):
        raise DownloadFailed(f"Redirect to disallowed URL: {target}")
    return target


def _check_response(url: str, response: httpx.Response, limit: int | None) -> None:
    if response.status_code != 200:
        raise DownloadFailed(f"Fetching {url} returned HTTP {response.status_code}")
    announced = response.headers.get("content-length", "")
    if limit is not None and announced.isdigit() and int(announced) > limit:
        raise DownloadFailed(f"The image at {url} is larger ({announced} bytes) than "
                             f"this cloud accepts ({limit} bytes)")
