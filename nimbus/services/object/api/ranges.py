"""Conditional requests and byte ranges of object GET/HEAD, as swob answers them."""

from __future__ import annotations

import email.utils
import math
import secrets
from collections.abc import Iterator, Mapping

from nimbus.services.object.errors import PreconditionFailed, RangeNotSatisfiable
from nimbus.services.object.store.diskfile import StoredObject, read_range

# swob refuses a Range header with more ranges than this (and then serves the whole object).
MAX_RANGES = 50


def _etags(value: str) -> list[str]:
    return [v.strip().strip('"') for v in value.split(",") if v.strip()]


def _since(value: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp() if parsed is not None else None


def not_modified(headers: Mapping[str, str], stored: StoredObject) -> bool:
    """True for a 304; raises 412 for a failed If-Match / If-Unmodified-Since."""
    etag = stored.etag
    last_modified = math.ceil(float(stored.timestamp))
    if_match = headers.get("if-match")
    if if_match is not None and "*" not in _etags(if_match) and etag not in _etags(if_match):
        raise PreconditionFailed()
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = _etags(if_none_match)
        if "*" in tags or etag in tags:
            return True
    unmodified = headers.get("if-unmodified-since")
    if unmodified is not None:
        since = _since(unmodified)
        if since is not None and last_modified > since:
            raise PreconditionFailed()
    modified = headers.get("if-modified-since")
    if modified is not None and if_none_match is None:
        since = _since(modified)
        if since is not None and last_modified <= since:
            return True
    return False


def parse_ranges(value: str | None, size: int) -> list[tuple[int, int]] | None:
    """Satisfiable (start, end) pairs, end inclusive; None: serve the whole object (no or
    malformed header); 416 when none is satisfiable."""
    if not value or not value.strip().lower().startswith("bytes="):
        return None
    specs = value.strip()[6:].split(",")
    if len(specs) > MAX_RANGES:
        return None
    found: list[tuple[int, int]] = []
    for spec in (s.strip() for s in specs):
        first, dash, last = spec.partition("-")
        if not dash or (first and not first.isdigit()) or (last and not last.isdigit()) \
                or (not first and not last):
            return None
        if not first:
            length = int(last)
            if length == 0:
                continue
            found.append((max(0, size - length), size - 1))
            continue
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None
        if start >= size:
            continue
        found.append((start, min(end, size - 1)))
    if not found or size == 0:
        raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    return found


def multipart(stored: StoredObject, ranges: list[tuple[int, int]], content_type: str
              ) -> tuple[Iterator[bytes], int, str]:
    """(body, length, boundary) of a multipart/byteranges answer."""
    boundary = secrets.token_hex(16)
    heads = [(f"--{boundary}\r\nContent-Type: {content_type}\r\n"
              f"Content-Range: bytes {s}-{e}/{stored.size}\r\n\r\n").encode()
             for s, e in ranges]
    tail = f"--{boundary}--".encode()
    length = sum(len(h) + (e - s + 1) + 2 for h, (s, e) in zip(heads, ranges, strict=True)) \
        + len(tail)

    def body() -> Iterator[bytes]:
        for head, (start, end) in zip(heads, ranges, strict=True):
            yield head
            yield from read_range(stored, start, end)
            yield b"\r\n"
        yield tail

    return body(), length, boundary
