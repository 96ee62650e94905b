"""Fernet key repositories, as Keystone keeps them: ``0`` is staged, the highest is primary;
and the metadata proxies' shared secret, which Networking's proxies sign with and Compute's
metadata API checks."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, MultiFernet

if TYPE_CHECKING:
    from nimbus.config import Settings

SECRET_FILE = "metadata-proxy-secret"


class KeyRepository:
    def __init__(self, directory: Path, max_active_keys: int = 3) -> None:
        self.directory = directory
        self.max_active_keys = max(max_active_keys, 2)
        self._mtime: float | None = None
        self._fernet: MultiFernet | None = None

    def _indexes(self) -> list[int]:
        if not self.directory.exists():
            return []
        return sorted(int(p.name) for p in self.directory.iterdir() if p.name.isdigit())

    def _write(self, index: int, key: bytes) -> None:
        path = self.directory / str(index)
        tmp = self.directory / f".{index}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        os.replace(tmp, path)

    def ensure(self) -> bool:
        """Create the repository (staged key 0 and primary key 1) if absent."""
        if self._indexes():
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        self._write(0, Fernet.generate_key())
        self._write(1, Fernet.generate_key())
        return True

    def rotate(self) -> int:
        """Staged key becomes primary, a new staged key appears, the oldest beyond the
        limit go. Returns the new primary's index."""
        self.ensure()
        indexes = self._indexes()
        new_primary = max(indexes) + 1
        os.replace(self.directory / "0", self.directory / str(new_primary))
        self._write(0, Fernet.generate_key())
        secondaries = [i for i in self._indexes() if i not in (0, new_primary)]
        excess = len(secondaries) - (self.max_active_keys - 2)
        for index in secondaries[:max(excess, 0)]:
            (self.directory / str(index)).unlink()
        return new_primary

    def fernet(self) -> MultiFernet:
        """Primary first, then the others; re-read when the repository changes."""
        mtime = self.directory.stat().st_mtime
        if self._fernet is None or mtime != self._mtime:
            indexes = self._indexes()
            ordered = [max(indexes)] + [i for i in sorted(indexes, reverse=True)[1:]]
            keys = [Fernet((self.directory / str(i)).read_bytes().strip()) for i in ordered]
            self._fernet, self._mtime = MultiFernet(keys), mtime
        return self._fernet


def metadata_secret(settings: Settings) -> str:
    """[network] metadata_proxy_shared_secret, or one made once in the data dir."""
    if settings.network.metadata_proxy_shared_secret:
        return settings.network.metadata_proxy_shared_secret
    path = settings.data_dir / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()  # another process made it first
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret
