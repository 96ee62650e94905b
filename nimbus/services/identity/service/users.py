"""Users, their passwords (with Keystone's security-compliance rules) and groups."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.identity.errors import (
    AccountLocked,
    AuthFailed,
    PasswordRejected,
    ResourceNotFound,
    TokenNotFound,
)
from nimbus.services.identity.models import Password, User
from nimbus.services.identity.service.passwords import hash_password, verify_password

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

# User options Keystone knows (users.inc, "options").
IGNORE_LOCKOUT = "ignore_lockout_failure_attempts"
IGNORE_PASSWORD_EXPIRY = "ignore_password_expiry"
IGNORE_CHANGE_ON_FIRST_USE = "ignore_change_password_upon_first_use"
LOCK_PASSWORD = "lock_password"
MULTI_FACTOR_AUTH_RULES = "multi_factor_auth_rules"
MULTI_FACTOR_AUTH_ENABLED = "multi_factor_auth_enabled"
USER_OPTIONS = (IGNORE_LOCKOUT, IGNORE_PASSWORD_EXPIRY, IGNORE_CHANGE_ON_FIRST_USE,
                LOCK_PASSWORD, MULTI_FACTOR_AUTH_RULES, MULTI_FACTOR_AUTH_ENABLED)


class Users:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self.compliance = identity.settings.security_compliance

    # -- lookups ----------------------------------------------------------------------------
    def user(self, s: Session, user_id: str | None) -> User:
        found = s.get(User, user_id) if user_id else None
        if found is None:
            raise ResourceNotFound("user", str(user_id))
        return found

    def active_user(self, s: Session, user_id: str) -> User:
        """A user a token may belong to: it exists and is enabled."""
        found = s.get(User, user_id)
        if found is None or not found.enabled:
            raise TokenNotFound()
        return found

    def current_password(self, s: Session, user_id: str) -> Password | None:
        return s.scalars(select(Password).where(Password.user_id == user_id)
                         .order_by(Password.id.desc()).limit(1)).first()

    def password_expires_at(self, s: Session, user: User) -> dt.datetime | None:
        if (user.options or {}).get(IGNORE_PASSWORD_EXPIRY):
            return None
        current = self.current_password(s, user.id)
        return current.expires_at if current else None

    def find_for_auth(self, s: Session, ref: dict[str, Any]) -> User:
        """The user an auth request names: by id, or by name within a domain (id or name)."""
        if ref.get("id"):
            found = s.get(User, ref["id"])
        else:
            domain_ref = ref.get("domain") or {}
            try:
                if domain_ref.get("id"):
                    domain = self.identity.resources.domain(s, domain_ref["id"])
                else:
                    domain = self.identity.resources.domain_by_name(s, domain_ref.get("name"))
            except ResourceNotFound:
                raise AuthFailed() from None
            if not domain.enabled:
                raise AuthFailed()
            found = s.scalars(select(User).where(User.domain_id == domain.id,
                                                 User.name == ref.get("name"))).first()
        if found is None:
            raise AuthFailed()
        return found

    # -- password checks --------------------------------------------------------------------
    def check_password(self, user_id: str, password: str) -> None:
        """Verify a password for authentication, applying lockout, expiry and enabled-ness.

        Hashing happens outside any transaction, so a slow hash never holds a lock.
        """
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise AuthFailed()
            self._raise_if_locked(user)
            current = self.current_password(s, user.id)
            stored = current.password_hash if current else None
        if not verify_password(password, stored):
            self._record_failure(user_id)
            raise AuthFailed()
        with self.db.session() as s:
            user = self.user(s, user_id)
            if not user.enabled:
                raise AuthFailed(f"The account is disabled for user: {user.id}.")
            current = self.current_password(s, user.id)
            if current is not None and self._expired(user, current):
                raise AuthFailed(f"The password is expired and needs to be changed for user: "
                                 f"{user.id}.")
            user.failed_auth_count = 0
            user.failed_auth_at = None
            user.last_active_at = utcnow()

    def _raise_if_locked(self, user: User) -> None:
        limit = self.compliance.lockout_failure_attempts
        if not limit or (user.options or {}).get(IGNORE_LOCKOUT):
            return
        if (user.failed_auth_count or 0) >= limit and user.failed_auth_at is not None:
            until = user.failed_auth_at + dt.timedelta(seconds=self.compliance.lockout_duration)
            if utcnow() < until:
                raise AccountLocked(user.id)
            with self.db.session() as s:
                fresh = s.get(User, user.id)
                if fresh is not None:
                    fresh.failed_auth_count = 0
                    fresh.failed_auth_at = None
            user.failed_auth_count = 0

    def _record_failure(self, user_id: str) -> None:
        if not self.compliance.lockout_failure_attempts:
            return
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is not None:
                user.failed_auth_count = (user.failed_auth_count or 0) + 1
                user.failed_auth_at = utcnow()

    def _expired(self, user: User, current: Password) -> bool:
        if (user.options or {}).get(IGNORE_PASSWORD_EXPIRY) or current.expires_at is None:
            return False
        return current.expires_at <= utcnow()

    # -- setting passwords ------------------------------------------------------------------
    def validate_password_rules(self, password: str) -> None:
        regex = self.compliance.password_regex
        if regex and not re.match(regex, password):
            detail = self.compliance.password_regex_description or "does not meet the rules"
            raise PasswordRejected(f"Password validation error: The password does not meet "
                                   f"the requirements: {detail}.")

    def new_password_row(self, s: Session, user: User, password: str,
                         self_service: bool) -> Password:
        """Append a password, checking history; used by create, update and self-service."""
        self.validate_password_rules(password)
        count = self.compliance.unique_last_password_count
        if count > 1 and self_service:
            history = list(s.scalars(select(Password).where(Password.user_id == user.id)
                                     .order_by(Password.id.desc()).limit(count - 1)))
            for old in history:
                if verify_password(password, old.password_hash):
                    raise PasswordRejected(
                        "Password validation error: The new password cannot be identical "
                        "to a previous password. The total number which includes the new "
                        f"password must be unique is {count}.")
        now = utcnow()
        expires = None
        days = self.compliance.password_expires_days
        if days and not (user.options or {}).get(IGNORE_PASSWORD_EXPIRY):
            expires = now + dt.timedelta(days=days)
        if (self.compliance.change_password_upon_first_use and not self_service
                and not (user.options or {}).get(IGNORE_CHANGE_ON_FIRST_USE)):
            expires = now
        row = Password(user_id=user.id,
                       password_hash=hash_password(password, self.identity.settings.bcrypt_cost),
                       created_at=now, expires_at=expires, self_service=self_service)
        s.add(row)
        return row
