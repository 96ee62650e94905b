"""Password hashing: bcrypt over a SHA-256 digest (no 72-byte cut), on low-priority threads
so that hashing never starves the requests that don't hash."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import bcrypt

from nimbus.kernel.concurrency import stepping_aside

_PREFIX = "$nb1$"  # bcrypt(base64(sha256(password)))
# Hashing yields to token validation, but not so far that logins starve on a busy host.
BCRYPT_NICE = 5


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BCRYPT_NICE)
    except (OSError, AttributeError):
        pass


_pool = ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2),
                           thread_name_prefix="bcrypt", initializer=_lower_priority)


def _digest(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8", "surrogatepass")).digest())


def _hash(password: str, rounds: int) -> str:
    hashed = bcrypt.hashpw(_digest(password), bcrypt.gensalt(rounds=rounds))
    return _PREFIX + hashed.decode()


def _verify(password: str, stored: str) -> bool:
    if not stored.startswith(_PREFIX):
        return False
    return bcrypt.checkpw(_digest(password), stored[len(_PREFIX):].encode())


def hash_password(password: str, rounds: int) -> str:
    with stepping_aside():
        return _pool.submit(_hash, password, rounds).result()


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    with stepping_aside():
        return _pool.submit(_verify, password, stored).result()
