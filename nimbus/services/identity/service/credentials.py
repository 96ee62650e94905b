"""Credentials (ec2 keys and other secrets), encrypted at rest with the credential keys.

Blobs are Fernet-encrypted with the primary key of the credential key repository; each row
keeps the SHA-1 of the key that encrypted it, as Keystone does. Blobs are never logged.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cryptography.fernet import InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import new_id
from nimbus.kernel.errors import CloudError, Unauthorized
from nimbus.kernel.keys import KeyRepository
from nimbus.services.identity.errors import Duplicate, ResourceNotFound, SchemaError
from nimbus.services.identity.models import ApplicationCredential, Credential
from nimbus.services.identity.service.catalog import ReferenceNotFound
from nimbus.services.identity.service.common import get_or_404

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

EC2 = "ec2"
# Blob members an ec2 credential's owner may not change (they bind it to a delegation).
EC2_BOUND_KEYS = ("trust_id", "app_cred_id", "access_token_id", "access_id")


class CredentialDecryptError(CloudError):
    def __init__(self) -> None:
        super().__init__("Credential could not be decrypted. Please contact the administrator")


class EC2KeyNotFound(Unauthorized):
    def __init__(self) -> None:
        super().__init__("EC2 access key not found.")


def ec2_id(access: str) -> str:
    """An ec2 credential's id: the SHA-256 of its access key (Keystone's hash_access_key)."""
    return hashlib.sha256(access.encode("utf-8")).hexdigest()


def ec2_blob(blob: str | None) -> dict[str, Any]:
    """An ec2 blob as an object; 400 unless it is a JSON object with an access key."""
    try:
        doc = json.loads(blob or "")
    except ValueError:
        raise SchemaError("Invalid blob in credential") from None
    if not doc or not isinstance(doc, dict):
        raise ReferenceNotFound("blob", "credential")
    if not isinstance(doc.get("access"), str) or not doc["access"]:
        raise ReferenceNotFound("access", "credential")
    return doc


def is_ec2(cred_type: str | None) -> bool:
    return (cred_type or "").lower() == EC2


def _owner(row: Credential) -> dict[str, Any]:
    return {"id": row.id, "user_id": row.user_id, "project_id": row.project_id,
            "type": row.type}


class Credentials:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        settings = identity.settings
        self.keys = KeyRepository(settings.credential_key_dir, settings.fernet_max_active_keys)
        self._key_hash: tuple[float, str] | None = None
        self._lock = threading.Lock()

    # -- encryption -------------------------------------------------------------------------
    def primary_key_hash(self) -> str:
        """SHA-1 of the primary credential key, re-read when the repository changes."""
        directory = self.keys.directory
        mtime = directory.stat().st_mtime
        cached = self._key_hash
        if cached is None or cached[0] != mtime:
            primary = max(int(p.name) for p in directory.iterdir() if p.name.isdigit())
            key = (directory / str(primary)).read_bytes().strip()
            cached = (mtime, hashlib.sha1(key, usedforsecurity=False).hexdigest())
            with self._lock:
                self._key_hash = cached
        return cached[1]

    def _seal(self, row: Credential, blob: str) -> None:
        row.encrypted_blob = self.keys.fernet().encrypt(blob.encode("utf-8"))
        row.key_hash = self.primary_key_hash()

    def _open(self, row: Credential) -> str:
        try:
            return self.keys.fernet().decrypt(row.encrypted_blob).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError, TypeError):
            raise CredentialDecryptError() from None

    def _as_dict(self, row: Credential, blob: str | None = None) -> dict[str, Any]:
        return {"id": row.id, "user_id": row.user_id, "project_id": row.project_id,
                "type": row.type, "blob": self._open(row) if blob is None else blob,
                "extra": row.extra or {}}

    # -- lookups ----------------------------------------------------------------------------
    def owner(self, credential_id: str) -> dict[str, Any] | None:
        """What policy reads about a credential (no secret); None when there is none."""
        with self.db.session() as s:
            row = s.get(Credential, credential_id)
            return _owner(row) if row is not None else None

    def app_cred_unrestricted(self, app_cred_id: str) -> bool:
        with self.db.session() as s:
            found = s.get(ApplicationCredential, app_cred_id)
            return bool(found is not None and found.unrestricted)

    def _check_refs(self, s: Session, user_id: str | None, project_id: str | None) -> None:
        try:
            if user_id is not None:
                self.identity.users.user(s, user_id)
        except ResourceNotFound:
            raise ReferenceNotFound("user_id", "credential") from None
        try:
            if project_id is not None:
                self.identity.resources.project(s, project_id)
        except ResourceNotFound:
            raise ReferenceNotFound("project_id", "credential") from None

    # -- /v3/credentials ----------------------------------------------------------------------
    def create_credential(self, fields: dict[str, Any],
                          app_cred_id: str | None = None) -> dict[str, Any]:
        blob = fields["blob"]
        cred_id = new_id()
        if is_ec2(fields["type"]):
            if not fields.get("project_id"):
                raise SchemaError("Invalid input for field 'project_id': an ec2 credential "
                                  "requires project_id")
            doc = ec2_blob(blob)
            cred_id = ec2_id(doc["access"])
            if app_cred_id is not None:
                blob = json.dumps({**doc, "app_cred_id": app_cred_id})
        with self.db.session() as s:
            self._check_refs(s, fields["user_id"], fields.get("project_id"))
            if s.get(Credential, cred_id) is not None:
                raise Duplicate("credential", "Duplicate entry")
            row = Credential(id=cred_id, user_id=fields["user_id"],
                             project_id=fields.get("project_id"), type=fields["type"],
                             extra=fields.get("extra") or {})
            self._seal(row, blob)
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise Duplicate("credential", "Duplicate entry") from None
            return self._as_dict(row, blob)

    def list_credentials(self, user_id: str | None = None, cred_type: str | None = None,
                         visible: Callable[[dict[str, Any]], bool] | None = None
                         ) -> list[dict[str, Any]]:
        """Credentials, decrypted; ``visible`` (judging what ``owner`` returns) picks which
        ones before any is decrypted."""
        with self.db.session() as s:
            q = select(Credential).order_by(Credential.user_id, Credential.id)
            if user_id is not None:
                q = q.where(Credential.user_id == user_id)
            if cred_type is not None:
                q = q.where(Credential.type == cred_type)
            return [self._as_dict(row) for row in s.scalars(q)
                    if visible is None or visible(_owner(row))]

    def get_credential(self, credential_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self._as_dict(get_or_404(s, Credential, credential_id, "credential"))

    def update_credential(self, credential_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s:
            row = get_or_404(s, Credential, credential_id, "credential")
            current = self._open(row)
            blob = fields.get("blob", current)
            self._check_update(row, current, fields)
            self._check_refs(s, fields.get("user_id"), fields.get("project_id"))
            for key in ("user_id", "project_id", "type"):
                if key in fields:
                    setattr(row, key, fields[key])
            if "blob" in fields:
                self._seal(row, blob)
            if fields.get("extra"):
                row.extra = {**(row.extra or {}), **fields["extra"]}
            return self._as_dict(row, blob)

    @staticmethod
    def _check_update(row: Credential, current: str, fields: dict[str, Any]) -> None:
        """An ec2 credential keeps a project, a valid blob and its delegation binding."""
        new_type = fields.get("type", row.type)
        if not is_ec2(new_type):
            return
        if not fields.get("project_id", row.project_id):
            raise ReferenceNotFound("project_id", "credential")
        new_blob = ec2_blob(fields.get("blob", current))
        if is_ec2(row.type) and "blob" in fields:
            old_blob = json.loads(current)
            for key in EC2_BOUND_KEYS:
                if old_blob.get(key) != new_blob.get(key):
                    raise SchemaError(f"{key} can not be updated for credential")

    def delete_credential(self, credential_id: str) -> None:
        with self.db.session() as s:
            s.delete(get_or_404(s, Credential, credential_id, "credential"))

    # -- OS-EC2 -----------------------------------------------------------------------------
    def create_ec2(self, user_id: str, project_id: str) -> dict[str, Any]:
        """New ec2 keys for a user in a project (POST /v3/users/{id}/credentials/OS-EC2)."""
        with self.db.session() as s:
            self.identity.users.user(s, user_id)
            self.identity.resources.project(s, project_id)
        blob = json.dumps({"access": uuid.uuid4().hex, "secret": uuid.uuid4().hex,
                           "trust_id": None})
        return self.create_credential({"user_id": user_id, "project_id": project_id,
                                       "type": EC2, "blob": blob})

    def list_ec2(self, user_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            self.identity.users.user(s, user_id)
        return self.list_credentials(user_id, EC2)

    def get_ec2(self, user_id: str, access: str) -> dict[str, Any]:
        with self.db.session() as s:
            self.identity.users.user(s, user_id)
            row = get_or_404(s, Credential, ec2_id(access), "credential")
            if row.type != EC2:
                raise EC2KeyNotFound()
            return self._as_dict(row)

    def find_ec2(self, access_key: str) -> tuple[str, str | None, str] | None:
        """(user_id, project_id, secret) of the ec2 credential with this access key, or None.
        For the S3 and EC2 APIs, which sign requests with these keys."""
        with self.db.session() as s:
            row = s.get(Credential, ec2_id(access_key))
            if row is None or row.type != EC2:
                return None
            try:
                blob = json.loads(self._open(row))
            except ValueError:
                return None
            if not isinstance(blob, dict) or blob.get("access") != access_key \
                    or not isinstance(blob.get("secret"), str):
                return None
            return row.user_id, row.project_id, blob["secret"]

    # -- cleanup, for the families that delete users and projects ---------------------------
    def delete_for_user(self, s: Session, user_id: str) -> None:
        s.execute(delete(Credential).where(Credential.user_id == user_id))

    def delete_for_project(self, s: Session, project_id: str) -> None:
        s.execute(delete(Credential).where(Credential.project_id == project_id))
