"""Key pairs, each owned by one user (names are unique per user)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database
from nimbus.kernel.errors import BadRequest
from nimbus.services.compute.errors import KeypairExists, KeypairNotFound, LimitExceeded
from nimbus.services.compute.models.keypairs import KeyPair
from nimbus.services.compute.service import crypto


def _as_dict(row: KeyPair) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "user_id": row.user_id, "type": row.type,
            "fingerprint": row.fingerprint, "public_key": row.public_key,
            "project_id": row.project_id, "created_at": row.created_at}


class Keypairs:
    def __init__(self, db: Database, limit_of: Callable[[str, str], int]) -> None:
        self.db = db
        # (project id, user id) -> the key_pairs quota limit (-1: unlimited).
        self.limit_of = limit_of

    # -- public functions (servers) -------------------------------------------------------
    def get(self, user_id: str, name: str) -> dict[str, Any]:
        """The key pair ``name`` of ``user_id`` (name, type, public_key, fingerprint...);
        KeypairNotFound (404) when that user has none of that name."""
        with self.db.session() as s:
            return _as_dict(self._row(s, user_id, name))

    def count(self, user_id: str) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(KeyPair).where(
                KeyPair.user_id == user_id)) or 0)

    # -- API ------------------------------------------------------------------------------
    def _row(self, s: Session, user_id: str, name: str) -> KeyPair:
        row = s.scalar(select(KeyPair).where(KeyPair.user_id == user_id,
                                             KeyPair.name == name))
        if row is None:
            raise KeypairNotFound(name, user_id)
        return row

    def list(self, user_id: str, *, limit: int | None = None,
             marker: str | None = None) -> list[dict[str, Any]]:
        with self.db.session() as s:
            query = select(KeyPair).where(KeyPair.user_id == user_id).order_by(KeyPair.name)
            if marker is not None:
                if s.scalar(select(KeyPair.id).where(KeyPair.user_id == user_id,
                                                     KeyPair.name == marker)) is None:
                    raise BadRequest(f"Marker {marker} could not be found.")
                query = query.where(KeyPair.name > marker)
            if limit is not None:
                query = query.limit(limit)
            return [_as_dict(r) for r in s.scalars(query).all()]

    def create(self, user_id: str, project_id: str | None, name: str, key_type: str,
               public_key: str | None) -> dict[str, Any]:
        """Imports ``public_key``, or generates a pair when it is None (the answer then
        carries ``private_key``, the only time it is seen)."""
        self._check_quota(user_id, project_id)
        private = None
        if public_key is None:
            private, public_key, fingerprint = crypto.generate_x509_keypair(user_id) \
                if key_type == "x509" else crypto.generate_ssh_keypair()
        elif key_type == "x509":
            fingerprint = crypto.x509_fingerprint(public_key)
        else:
            fingerprint = crypto.ssh_fingerprint(public_key)
        try:
            with self.db.session() as s:
                if s.scalar(select(KeyPair.id).where(KeyPair.user_id == user_id,
                                                     KeyPair.name == name)) is not None:
                    raise KeypairExists(name)
                row = KeyPair(user_id=user_id, project_id=project_id, name=name,
                              type=key_type, fingerprint=fingerprint, public_key=public_key)
                s.add(row)
                s.flush()
                out = _as_dict(row)
        except IntegrityError:
            raise KeypairExists(name) from None
        if private is not None:
            out["private_key"] = private
        return out

    def _check_quota(self, user_id: str, project_id: str | None) -> None:
        limit = self.limit_of(project_id or "", user_id)
        if limit >= 0 and self.count(user_id) + 1 > limit:
            raise LimitExceeded("Quota exceeded, too many key pairs.")

    def delete(self, user_id: str, name: str) -> None:
        with self.db.session() as s:
            s.delete(self._row(s, user_id, name))
