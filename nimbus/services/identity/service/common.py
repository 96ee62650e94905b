"""Helpers every identity module shares."""

from __future__ import annotations

import base64
import datetime as dt
import os
import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from nimbus.services.identity.errors import ResourceNotFound
from nimbus.services.identity.models import Generation

T = TypeVar("T")
V = TypeVar("V")


def bump_generation(session: Session) -> None:
    """Every write that can change what a token means calls this, inside its transaction:
    all workers then drop their token and catalog caches on their next request."""
    result = session.execute(update(Generation).where(Generation.id == 1)
                             .values(value=Generation.value + 1))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(Generation(id=1, value=1))


def get_or_404(session: Session, model: type[T], ident: Any, kind: str) -> T:
    obj = session.get(model, ident) if ident is not None else None
    if obj is None:
        raise ResourceNotFound(kind, str(ident))
    return obj


def random_id() -> str:
    """Keystone-style audit id: 16 random bytes, URL-safe base64, unpadded."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


def isotime(value: dt.datetime | None, subsecond: bool = True) -> str | None:
    """Keystone's timestamps: 2015-11-05T22:00:11.000000Z."""
    if value is None:
        return None
    if subsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> dt.datetime:
    """ISO 8601 as clients send it, to naive UTC; ValueError when it is not one."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


class GenerationCache(Generic[V]):
    """Values derived from identity data, kept for one identity generation: every write
    they depend on bumps it. Failures (exceptions) are never cached."""

    def __init__(self, generation: Callable[[], int], size: int = 10000) -> None:
        self._generation = generation
        self._size = size
        self._items: dict[Hashable, V] = {}
        self._seen: int | None = None
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        generation = self._generation()
        with self._lock:
            if generation != self._seen or len(self._items) > self._size:
                self._items.clear()
                self._seen = generation
            if key in self._items:
                return self._items[key]
        value = load()
        with self._lock:
            if generation == self._seen:
                self._items[key] = value
        return value
