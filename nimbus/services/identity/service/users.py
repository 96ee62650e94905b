"""Users and their passwords, with Keystone's security-compliance rules: lockout, expiry,
history, minimum age, complexity, and self-service changes."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import BadRequest
from nimbus.services.identity.errors import (
    AccountLocked,
    AuthFailed,
    Duplicate,
    PasswordRejected,
    ResourceNotFound,
    TokenNotFound,
)
from nimbus.services.identity.models import Password, Project, User
from nimbus.services.identity.service.common import bump_generation
from nimbus.services.identity.service.passwords import hash_password, verify_password

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

# User options Keystone knows (users.inc, "options").
IGNORE_LOCKOUT = "ignore_lockout_failure_attempts"
IGNORE_PASSWORD_EXPIRY = "ignore_password_expiry"
IGNORE_CHANGE_ON_FIRST_USE = "ignore_change_password_upon_first_use"
LOCK_PASSWORD = "lock_password"
IGNORE_USER_INACTIVITY = "ignore_user_inactivity"
MULTI_FACTOR_AUTH_RULES = "multi_factor_auth_rules"
MULTI_FACTOR_AUTH_ENABLED = "multi_factor_auth_enabled"
USER_OPTIONS = (IGNORE_LOCKOUT, IGNORE_PASSWORD_EXPIRY, IGNORE_CHANGE_ON_FIRST_USE,
                LOCK_PASSWORD, IGNORE_USER_INACTIVITY, MULTI_FACTOR_AUTH_RULES,
                MULTI_FACTOR_AUTH_ENABLED)

# The comparators Keystone accepts on list filters: name__icontains=...
_COMPARATORS = ("contains", "icontains", "startswith", "istartswith", "endswith", "iendswith")
_EXPIRY_OPERATORS = {"lt": "__lt__", "lte": "__le__", "gt": "__gt__", "gte": "__ge__",
                     "eq": "__eq__", "neq": "__ne__"}


def name_conditions(column: InstrumentedAttribute[str],
                    query: Mapping[str, str]) -> list[ColumnElement[bool]]:
    """SQL conditions for ``name=...`` and ``name__<comparator>=...`` query filters."""
    out: list[ColumnElement[bool]] = []
    if "name" in query:
        out.append(column == query["name"])
    for comparator in _COMPARATORS:
        value = query.get(f"name__{comparator}")
        if value is None:
            continue
        target, text = (func.lower(column), value.lower()) if comparator.startswith("i") \
            else (column, value)
        kind = comparator.lstrip("i")
        pattern = {"contains": f"%{_escape(text)}%", "startswith": f"{_escape(text)}%",
                   "endswith": f"%{_escape(text)}"}[kind]
        out.append(target.like(pattern, escape="\\"))
    return out


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def merge_options(current: dict[str, Any] | None, given: dict[str, Any] | None) -> dict[str, Any]:
    """Keystone's option update: a value sets the option, null removes it."""
    merged = dict(current or {})
    for key, value in (given or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def next_second(now: dt.datetime) -> dt.datetime:
    """Tokens carry whole-second issue times, so a cut-off at the start of the next second
    kills every token issued up to now; answering only after it keeps later ones valid."""
    return now.replace(microsecond=0) + dt.timedelta(seconds=1)


def wait_until(moment: dt.datetime | None) -> None:
    if moment is not None:
        delay = (moment - utcnow()).total_seconds()
        if delay > 0:
            time.sleep(delay)


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
            directory_id = self.identity.directory.user_id_by_name(domain.id, ref.get("name"))
            if directory_id is not False:
                return self._directory_user_for_auth(s, directory_id)
            found = s.scalars(select(User).where(User.domain_id == domain.id,
                                                 User.name == ref.get("name"))).first()
        if found is None:
            raise AuthFailed()
        return found

    @staticmethod
    def _directory_user_for_auth(s: Session, user_id: str | bool | None) -> User:
        found = s.get(User, user_id) if isinstance(user_id, str) else None
        if found is None:
            raise AuthFailed()
        return found

    def target(self, user_id: str) -> dict[str, Any]:
        """What policy rules read about a user; empty when there is none (the handler then
        answers 404 to those the rule lets through, as Keystone does)."""
        with self.db.session() as s:
            found = s.get(User, user_id)
            return {"id": found.id, "domain_id": found.domain_id} if found else {}

    # -- CRUD -------------------------------------------------------------------------------
    def create_user(self, fields: dict[str, Any]) -> tuple[User, dt.datetime | None]:
        self.identity.directory.refuse_writes(fields["domain_id"])
        password = fields.get("password")
        hashed = self._hash_new(password) if password is not None else None
        with self.db.session() as s:
            domain = self.identity.resources.domain(s, fields["domain_id"])
            self._check_default_project(s, fields.get("default_project_id"))
            self._check_unique_name(s, domain.id, fields["name"])
            user = User(name=fields["name"], domain_id=domain.id,
                        enabled=fields.get("enabled", True),
                        default_project_id=fields.get("default_project_id"),
                        description=fields.get("description"), email=fields.get("email"),
                        extra=fields.get("extra") or {},
                        options=merge_options({}, fields.get("options")),
                        created_at=utcnow(), failed_auth_count=0)
            s.add(user)
            s.flush()
            if hashed is not None:
                self._add_password(s, user, hashed, self_service=False)
            return user, self.password_expires_at(s, user)

    def list_users(self, query: Mapping[str, str], enabled: bool | None,
                   expiry: tuple[str, dt.datetime] | None = None,
                   group_id: str | None = None) -> list[tuple[User, dt.datetime | None]]:
        """Users matching Keystone's list filters (domain_id, name[__comparator], enabled,
        password_expires_at), optionally only the members of one group."""
        listed = self.identity.directory.list_users(query, group_id)
        if listed is not None:  # directory users have no password to expire
            return [(u, None) for u in listed if (enabled is None or u.enabled is enabled)
                    and expiry is None]
        with self.db.session() as s:
            q = select(User).where(*name_conditions(User.name, query))
            if query.get("domain_id"):
                q = q.where(User.domain_id == query["domain_id"])
            if enabled is not None:
                q = q.where(User.enabled.is_(enabled))
            if group_id is not None:
                q = q.where(User.id.in_(self.identity.groups.member_ids(s, group_id)))
            rows = [(u, self.password_expires_at(s, u)) for u in s.scalars(q.order_by(User.id))]
        if expiry is not None:
            method = _EXPIRY_OPERATORS[expiry[0]]
            rows = [(u, at) for u, at in rows
                    if at is not None and getattr(at, method)(expiry[1])]
        return rows

    def get_user(self, user_id: str) -> tuple[User, dt.datetime | None]:
        self.identity.directory.refresh_user(user_id)
        with self.db.session() as s:
            user = self.user(s, user_id)
            return user, self.password_expires_at(s, user)

    def update_user(self, user_id: str,
                    fields: dict[str, Any]) -> tuple[User, dt.datetime | None]:
        self.identity.directory.refuse_user_writes(user_id)
        password = fields.get("password")
        hashed = self._hash_new(password) if password is not None else None
        with self.db.session() as s:
            user = self.user(s, user_id)
            self._check_update(s, user, fields)
            disabling = user.enabled and fields.get("enabled") is False
            self._apply(user, fields)
            if hashed is not None:
                self._add_password(s, user, hashed, self_service=False)
            if disabling:
                self.identity.appcreds.delete_for_user(s, user.id)
            if disabling or hashed is not None:
                self._cut_off_tokens(user)
                self.identity.revoke_events.for_user(s, user.id)
            bump_generation(s)
            expires_at = self.password_expires_at(s, user)
        if user.enabled:
            # Answer after the cut-off second, or tokens issued right after would die too.
            wait_until(user.tokens_valid_after)
        return user, expires_at

    def delete_user(self, user_id: str) -> None:
        self.identity.directory.refuse_user_writes(user_id)
        with self.db.session() as s:
            user = self.user(s, user_id)
            self.identity.assignments.delete_actor_assignments(s, user.id)
            self.identity.appcreds.delete_for_user(s, user.id)
            self.identity.credentials.delete_for_user(s, user.id)
            self.identity.trusts.delete_for_user(s, user.id)
            self.identity.revoke_events.for_user(s, user.id)
            s.delete(user)
            bump_generation(s)

    def projects_of(self, user_id: str) -> list[tuple[Project, list[str]]]:
        """Projects where the user has a role, directly, through a group or inherited."""
        return self.identity.assignments.projects_for_user(user_id)

    # -- CRUD helpers -----------------------------------------------------------------------
    def _check_unique_name(self, s: Session, domain_id: str, name: str) -> None:
        if s.scalars(select(User.id).where(User.domain_id == domain_id,
                                           User.name == name)).first():
            raise Duplicate("user", f"Duplicate entry found with name {name} at domain ID "
                                    f"{domain_id}")

    def _check_default_project(self, s: Session, project_id: str | None) -> None:
        """A default project may be missing (Keystone tolerates it) but not be a domain."""
        found = s.get(Project, project_id) if project_id else None
        if found is not None and found.is_domain:
            raise BadRequest(f"User's default project ID cannot be a domain ID: {project_id}")

    def _check_update(self, s: Session, user: User, fields: dict[str, Any]) -> None:
        if "domain_id" in fields and fields["domain_id"] != user.domain_id:
            raise BadRequest("Cannot change Domain ID")
        if "name" in fields and fields["name"] != user.name:
            self._check_unique_name(s, user.domain_id, fields["name"])
        self._check_default_project(s, fields.get("default_project_id"))

    @staticmethod
    def _apply(user: User, fields: dict[str, Any]) -> None:
        for key in ("name", "enabled", "default_project_id", "description", "email"):
            if key in fields:
                setattr(user, key, fields[key])
        if "options" in fields:
            user.options = merge_options(user.options, fields["options"])
        if fields.get("extra"):
            user.extra = {**(user.extra or {}), **fields["extra"]}

    def _cut_off_tokens(self, user: User) -> dt.datetime:
        """Every token the user holds dies (Keystone's revocation event for the user)."""
        boundary = next_second(utcnow())
        if user.tokens_valid_after is None or user.tokens_valid_after < boundary:
            user.tokens_valid_after = boundary
        return boundary

    # -- authentication ---------------------------------------------------------------------
    def check_password(self, user_id: str, password: str) -> None:
        """Verify a password for authentication, applying lockout, expiry and enabled-ness."""
        if not self.identity.directory.authenticate(user_id, password):
            self._authenticate(user_id, password, allow_expired=False)

    def _authenticate(self, user_id: str, password: str, *, allow_expired: bool) -> None:
        """One read, the hash outside any transaction (a slow hash never holds a lock), and
        a write only when there are failures to forget. A user disabled while the hash ran
        gets no usable token: issuing validates the new token against the database."""
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise AuthFailed()
            self._raise_if_locked(user)
            current = self.current_password(s, user.id)
            s.flush()  # a lockout that ran out was reset above
            s.expunge_all()
        if not verify_password(password, current.password_hash if current else None):
            self._record_failure(user_id)
            raise AuthFailed()
        if not user.enabled:
            raise AuthFailed(f"The account is disabled for user: {user.id}.")
        if not allow_expired and current is not None and self._expired(user, current):
            raise AuthFailed(f"The password is expired and needs to be changed for user: "
                             f"{user.id}.")
        if user.failed_auth_count or user.failed_auth_at is not None:
            with self.db.session() as s:
                s.execute(update(User).where(User.id == user_id)
                          .values(failed_auth_count=0, failed_auth_at=None))

    def _raise_if_locked(self, user: User) -> None:
        """Locked after N failures until the lockout duration has passed since the last one
        (for good when the duration is 0); the count starts over once it has."""
        limit = self.compliance.lockout_failure_attempts
        if not limit or (user.options or {}).get(IGNORE_LOCKOUT):
            return
        if (user.failed_auth_count or 0) < limit:
            return
        duration = self.compliance.lockout_duration
        if not duration or user.failed_auth_at is None:
            raise AccountLocked(user.id)
        if utcnow() < user.failed_auth_at + dt.timedelta(seconds=duration):
            raise AccountLocked(user.id)
        user.failed_auth_count = 0
        user.failed_auth_at = None

    def _record_failure(self, user_id: str) -> None:
        if not self.compliance.lockout_failure_attempts:
            return
        with self.db.session() as s:
            s.execute(update(User).where(User.id == user_id).values(
                failed_auth_count=func.coalesce(User.failed_auth_count, 0) + 1,
                failed_auth_at=utcnow()))

    def _expired(self, user: User, current: Password) -> bool:
        if (user.options or {}).get(IGNORE_PASSWORD_EXPIRY) or current.expires_at is None:
            return False
        return current.expires_at <= utcnow()

    # -- setting passwords ------------------------------------------------------------------
    def validate_password_rules(self, password: str) -> None:
        regex = self.compliance.password_regex
        if not regex:
            return
        try:
            matched = re.match(regex, password)
        except re.error:
            raise PasswordRejected("Password validation error: Unable to validate password "
                                   "due to invalid configuration.") from None
        if not matched:
            detail = self.compliance.password_regex_description or regex
            raise PasswordRejected(f"The password does not match the requirements: {detail}.")

    def _hash_new(self, password: str) -> str:
        self.validate_password_rules(password)
        return hash_password(password, self.identity.settings.bcrypt_cost)

    def new_password_row(self, s: Session, user: User, password: str,
                         self_service: bool) -> Password:
        """Append a password, checking history; used by create, update and self-service."""
        if self_service:
            self._check_history(password, self._history(s, user.id))
        return self._add_password(s, user, self._hash_new(password), self_service)

    def _add_password(self, s: Session, user: User, hashed: str,
                      self_service: bool) -> Password:
        """The new current password; the older ones expire now and stay as history."""
        now = utcnow()
        s.execute(update(Password).where(Password.user_id == user.id,
                                         (Password.expires_at.is_(None))
                                         | (Password.expires_at > now))
                  .values(expires_at=now))
        options = user.options or {}
        expires = None
        days = self.compliance.password_expires_days
        if days and not options.get(IGNORE_PASSWORD_EXPIRY):
            expires = (now + dt.timedelta(days=days)).replace(microsecond=0)
        if (self.compliance.change_password_upon_first_use and not self_service
                and not options.get(IGNORE_CHANGE_ON_FIRST_USE)):
            expires = now
        row = Password(user_id=user.id, password_hash=hashed, created_at=now,
                       expires_at=expires, self_service=self_service)
        s.add(row)
        s.flush()
        self._trim_history(s, user.id)
        return row

    def _trim_history(self, s: Session, user_id: str) -> None:
        """Keep the current password and the ``unique_last_password_count`` before it."""
        keep = max(self.compliance.unique_last_password_count, 1) + 1
        stale = list(s.scalars(select(Password.id).where(Password.user_id == user_id)
                               .order_by(Password.id.desc()).offset(keep)))
        if stale:
            s.execute(delete(Password).where(Password.id.in_(stale)))

    def _history(self, s: Session, user_id: str) -> list[str]:
        """Hashes a new self-service password must differ from: the last N passwords."""
        count = self.compliance.unique_last_password_count
        if count <= 0:
            return []
        return list(s.scalars(select(Password.password_hash).where(Password.user_id == user_id)
                              .order_by(Password.id.desc()).limit(count)))

    def _check_history(self, password: str, hashes: list[str]) -> None:
        if any(verify_password(password, stored) for stored in hashes):
            raise PasswordRejected(
                "The new password cannot be identical to a previous password. The total "
                "number which includes the new password must be unique is "
                f"{self.compliance.unique_last_password_count}.")

    # -- self-service change ----------------------------------------------------------------
    def change_password(self, user_id: str, original: str, new: str) -> None:
        """POST /v3/users/{id}/password: prove the old password (an expired one will do),
        then pass lock, minimum age, complexity and history. Every token of the user dies;
        the answer waits for the next second so that tokens issued after it live."""
        self.identity.directory.refuse_user_writes(user_id)
        self._authenticate(user_id, original, allow_expired=True)
        with self.db.session() as s:
            user = self.user(s, user_id)
            if (user.options or {}).get(LOCK_PASSWORD):
                raise PasswordRejected(
                    "You cannot change your password at this time due to password policy "
                    "disallowing password changes. Please contact your administrator to reset "
                    "your password.")
            current = self.current_password(s, user.id)
            if current is not None and current.self_service:
                self._check_minimum_age(current)
            history = self._history(s, user.id)
        hashed = self._hash_new(new)
        self._check_history(new, history)
        with self.db.session() as s:
            user = self.user(s, user_id)
            self._add_password(s, user, hashed, self_service=True)
            boundary = self._cut_off_tokens(user)
            self.identity.revoke_events.for_user(s, user.id)
            bump_generation(s)
        wait_until(boundary)

    def _check_minimum_age(self, current: Password) -> None:
        days = self.compliance.minimum_password_age
        if not days:
            return
        allowed_from = current.created_at + dt.timedelta(days=days)
        now = utcnow()
        if now < allowed_from:
            raise PasswordRejected(
                "You cannot change your password at this time due to the minimum password "
                f"age. Once you change your password, it must be used for {days} day(s) before "
                f"it can be changed. Please try again in {(allowed_from - now).days} day(s) or "
                "contact your administrator to reset your password.")
