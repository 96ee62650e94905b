"""What DLO and SLO share: an object made of segments, answered as one — its length, its
quoted ETag (md5 of the segments' ETags), conditionals and one byte range across segments."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from typing import Any

from nimbus.kernel.web import ApiRequest, Reply
from nimbus.services.object.api import ranges
from nimbus.services.object.api.common import timestamp_headers
from nimbus.services.object.store.diskfile import StoredObject, read_range


@dataclasses.dataclass
class Segment:
    stored: StoredObject
    start: int = 0  # a byte range of the segment (SLO's "range"), end inclusive
    end: int | None = None

    @property
    def length(self) -> int:
        end = self.stored.size - 1 if self.end is None else self.end
        return max(0, end - self.start + 1)


def segments_etag(etags: list[str]) -> str:
    return hashlib.md5("".join(etags).encode(), usedforsecurity=False).hexdigest()


def _pieces(segments: list[Segment], start: int, end: int) -> Iterator[bytes]:
    """Bytes start..end (inclusive) of the concatenation."""
    offset = 0
    for seg in segments:
        length = seg.length
        first, last = max(start, offset), min(end, offset + length - 1)
        if first <= last:
            yield from read_range(seg.stored, seg.start + first - offset,
                                  seg.start + last - offset)
        offset += length
        if offset > end:
            return


def serve(req: ApiRequest, manifest: StoredObject, segments: list[Segment], etag: str,
          extra: dict[str, str], head: bool) -> Reply:
    """The answer to GET/HEAD of a segmented object."""
    size = sum(s.length for s in segments)
    headers: dict[str, Any] = {**manifest.meta, **extra, "ETag": f'"{etag}"',
                               "Accept-Ranges": "bytes", "Content-Length": str(size),
                               **timestamp_headers(manifest.timestamp)}
    for key in [k for k in headers if k.startswith("X-Object-Sysmeta-")]:
        del headers[key]
    probe = dataclasses.replace(manifest, etag=etag, size=size)
    if ranges.not_modified(req.headers, probe):
        return Reply(None, 304, {"ETag": headers["ETag"], "Content-Length": "0",
                                 "Last-Modified": headers["Last-Modified"]})
    content_type = manifest.meta.get("Content-Type", "application/octet-stream")
    if head:
        return Reply(None, 200, headers)
    wanted = ranges.parse_ranges(req.headers.get("range"), size)
    if wanted is None or len(wanted) > 1:
        body = _pieces(segments, 0, size - 1) if size else iter([b""])
        return Reply(body, 200, headers, content_type=content_type)
    start, end = wanted[0]
    headers.update({"Content-Range": f"bytes {start}-{end}/{size}",
                    "Content-Length": str(end - start + 1)})
    return Reply(_pieces(segments, start, end), 206, headers, content_type=content_type)
