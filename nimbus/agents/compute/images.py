"""Base images, cached once per host under ``<instances_path>/_base/``: fetched from the
Image API (``GET .../v2/images/<id>/file`` with the spawn's token) with httpx, checked
against the image record's ``os_hash_value`` (or its md5 ``checksum``), and kept with the
format the record gives (never probed). Spawns of the same image at once fetch it once: a
lock per image in this process and an ``flock`` on ``<id>.lock`` across processes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import threading
from pathlib import Path

import httpx

from nimbus.agents.compute.driver import DriverError
from nimbus.agents.compute.messages import ImageRef

BASE_DIR = "_base"
FETCH_TIMEOUT = httpx.Timeout(30.0, read=300.0)
CHUNK = 1 << 20
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
HASHES = {"sha512", "sha384", "sha256", "sha1", "md5"}


class ImageFetchError(DriverError):
    """An image could not be fetched, or its bytes do not match its record."""


class ImageCache:
    def __init__(self, instances_path: Path) -> None:
        self.dir = instances_path / BASE_DIR
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.fetches = 0  # downloads done (the tests count them)

    def _lock(self, image_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(image_id, threading.Lock())

    def path_of(self, image_id: str) -> Path:
        if not SAFE_ID.match(image_id) or image_id.startswith("."):
            raise ImageFetchError(f"unusable image id {image_id!r}")
        return self.dir / image_id

    def get(self, image: ImageRef) -> tuple[Path, str]:
        """(path, format) of the cached base of ``image``, fetching it first if needed."""
        path = self.path_of(image.id)
        with self._lock(image.id):
            self.dir.mkdir(parents=True, exist_ok=True)
            with open(path.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                meta = self._meta(path)
                if meta is None or not path.exists():
                    meta = self._fetch(image, path)
        return path, str(meta["disk_format"])

    def _meta(self, path: Path) -> dict[str, object] | None:
        try:
            data = json.loads(path.with_suffix(".json").read_text())
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("disk_format") else None

    def _fetch(self, image: ImageRef, path: Path) -> dict[str, object]:
        if not image.url:
            raise ImageFetchError(f"image {image.id} is not cached and has no URL to fetch")
        if image.disk_format not in ("qcow2", "raw"):
            raise ImageFetchError(f"image {image.id}: disk_format {image.disk_format!r} "
                                  "cannot back a guest disk (qcow2 or raw)")
        algo = (image.os_hash_algo or "").lower()
        digest = hashlib.new(algo if algo in HASHES else "sha512")
        md5 = hashlib.md5(usedforsecurity=False)
        part = path.with_suffix(".part")
        size = self._download(image, part, digest, md5)
        try:
            self._check(image, size, digest.hexdigest() if algo in HASHES else None,
                        md5.hexdigest())
        except ImageFetchError:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, path)
        meta: dict[str, object] = {"id": image.id, "disk_format": image.disk_format,
                                   "size": size, "checksum": md5.hexdigest()}
        path.with_suffix(".json").write_text(json.dumps(meta))
        self.fetches += 1
        return meta

    def _download(self, image: ImageRef, part: Path, digest: hashlib._Hash,
                  md5: hashlib._Hash) -> int:
        headers = {"X-Auth-Token": image.auth_token} if image.auth_token else {}
        size = 0
        try:
            with httpx.stream("GET", image.url, headers=headers, timeout=FETCH_TIMEOUT,
                              follow_redirects=True) as answer:
                if answer.status_code != 200:
                    raise ImageFetchError(f"GET {image.url}: HTTP {answer.status_code}")
                with open(part, "wb") as out:
                    for chunk in answer.iter_bytes(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        md5.update(chunk)
                        size += len(chunk)
        except httpx.HTTPError as e:
            part.unlink(missing_ok=True)
            raise ImageFetchError(f"GET {image.url}: {e}") from e
        except ImageFetchError:
            part.unlink(missing_ok=True)
            raise
        return size

    def _check(self, image: ImageRef, size: int, hash_value: str | None, md5: str) -> None:
        if image.size is not None and size != image.size:
            raise ImageFetchError(f"image {image.id}: fetched {size} bytes, the record says "
                                  f"{image.size}")
        if image.os_hash_value and hash_value is not None and hash_value != image.os_hash_value:
            raise ImageFetchError(f"image {image.id}: {image.os_hash_algo} mismatch")
        if image.checksum and md5 != image.checksum:
            raise ImageFetchError(f"image {image.id}: md5 checksum mismatch")

    def remove(self, image_id: str) -> None:
        path = self.path_of(image_id)
        for p in (path, path.with_suffix(".json"), path.with_suffix(".lock")):
            p.unlink(missing_ok=True)
