"""Users and groups of the domains whose config names a directory driver (LDAP).

Each directory entry gets Keystone's public id (a SHA-256 of domain, local id and entity
type, kept in the id-mapping table) and a shadow row in the user or group table, refreshed
from the directory whenever it is read. Grants, tokens, credentials and application
credentials then treat directory users as any other; their memberships are mirrored into
the membership table when read (logins and token checks read them), which is what token
roles use. Every method answers None (or False) for what the SQL path serves, so
service/users.py and service/groups.py fall through to their own code.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.concurrency import must_not_block
from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import Forbidden
from nimbus.services.identity.errors import (
    AuthFailed,
    ReadOnlyDirectory,
    ResourceNotFound,
    TokenNotFound,
)
from nimbus.services.identity.models import (
    DomainConfigOption,
    Group,
    GroupMembership,
    IdMapping,
    User,
)
from nimbus.services.identity.service.backends import DRIVERS, SQL, DirectoryDriver
from nimbus.services.identity.service.backends.base import DirectoryGroup, DirectoryUser
from nimbus.services.identity.service.common import GenerationCache, bump_generation

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

log = logging.getLogger(__name__)

USER, GROUP = "user", "group"
GROUP_NAME_MAX = 64
USER_NAME_MAX = 255
_COMPARATORS = {"contains": lambda n, v: v in n, "startswith": str.startswith,
                "endswith": str.endswith}


def public_id(domain_id: str, local_id: str, entity_type: str) -> str:
    """Keystone's sha256 id generator: the mapping's values hashed in the order of their
    keys (domain_id, entity_type, local_id)."""
    digest = hashlib.sha256()
    for value in (domain_id, entity_type, local_id):
        digest.update(value.encode("utf-8"))
    return digest.hexdigest()


def name_matches(name: str, query: Mapping[str, str]) -> bool:
    """Keystone's name filters (name, name__[i]contains, ...), judged on a directory name."""
    if "name" in query and name != query["name"]:
        return False
    for key, value in query.items():
        if not key.startswith("name__"):
            continue
        comparator = key[len("name__"):]
        test = _COMPARATORS.get(comparator.removeprefix("i"))
        if test is None:
            continue
        folded = comparator.startswith("i")
        if not test(name.lower() if folded else name, value.lower() if folded else value):
            return False
    return True


class CrossBackendMembership(Forbidden):
    def __init__(self, group_id: str, user_id: str) -> None:
        super().__init__("Group membership across backend boundaries is not allowed. Group "
                         f"in question is {group_id}, user is {user_id}")


class Directory:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self.cache_time = identity.settings.directory_cache_time
        self._cache: GenerationCache[Any] = GenerationCache(identity.tokens_generation)
        self._confirmed: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- which driver -----------------------------------------------------------------------
    def driver_for(self, domain_id: str | None) -> DirectoryDriver | None:
        """The domain's directory driver; None when SQL serves it."""
        if not domain_id or domain_id not in self._directory_domains():
            return None
        driver: DirectoryDriver | None = self._cache.get(("driver", domain_id),
                                                         lambda: self._load(domain_id))
        return driver

    def _load(self, domain_id: str) -> DirectoryDriver | None:
        config = self.identity.domain_configs.effective(domain_id)
        name = str((config.get("identity") or {}).get("driver") or SQL).lower()
        factory = DRIVERS.get(name)
        return factory(config) if factory is not None else None

    def _directory_domains(self) -> frozenset[str]:
        def load() -> frozenset[str]:
            with self.db.session() as s:
                rows = s.scalars(select(DomainConfigOption).where(
                    DomainConfigOption.group_name == "identity",
                    DomainConfigOption.option_name == "driver"))
                return frozenset(r.domain_id for r in rows
                                 if str(r.value or "").lower() in DRIVERS)
        found: frozenset[str] = self._cache.get("domains", load)
        return found

    def _mapping(self, ident: str | None, kind: str) -> tuple[str, str, DirectoryDriver] | None:
        """(domain_id, local_id, driver) of a directory entity's public id; None otherwise."""
        if not ident or not self._directory_domains():
            return None

        def load() -> tuple[str, str] | None:
            with self.db.session() as s:
                row = s.get(IdMapping, ident)
                return (row.domain_id, row.local_id) \
                    if row is not None and row.entity_type == kind else None

        found = self._cache.get(("mapping", ident), load)
        if found is None:
            return None
        driver = self.driver_for(found[0])
        return (found[0], found[1], driver) if driver is not None else None

    def _domain_of(self, model: type[User] | type[Group], ident: str) -> str | None:
        with self.db.session() as s:
            row = s.get(User, ident) if model is User else s.get(Group, ident)
            return row.domain_id if row is not None else None

    # -- writes are refused -------------------------------------------------------------------
    def refuse_writes(self, domain_id: str | None) -> None:
        if self.driver_for(domain_id) is not None:
            raise ReadOnlyDirectory()

    def refuse_user_writes(self, user_id: str) -> None:
        if self._mapping(user_id, USER) is not None:
            raise ReadOnlyDirectory()

    def refuse_group_writes(self, group_id: str) -> None:
        if self._mapping(group_id, GROUP) is not None:
            raise ReadOnlyDirectory()

    def refuse_membership_change(self, group_id: str, user_id: str) -> None:
        self.refuse_group_writes(group_id)
        if self._mapping(user_id, USER) is not None and \
                self._domain_of(Group, group_id) is not None:
            raise CrossBackendMembership(group_id, user_id)

    # -- shadow rows ----------------------------------------------------------------------------
    def _write(self, work: Any) -> Any:
        """Run ``work(session)`` in its own transaction, once more when another worker
        inserted the same rows meanwhile."""
        for attempt in (1, 2):
            try:
                with self.db.session() as s:
                    return work(s)
            except IntegrityError:
                if attempt == 2:
                    raise
        return None

    def _map(self, s: Session, domain_id: str, local_id: str, kind: str) -> str:
        ident = public_id(domain_id, local_id, kind)
        if s.get(IdMapping, ident) is None:
            s.add(IdMapping(public_id=ident, domain_id=domain_id, local_id=local_id,
                            entity_type=kind))
            s.flush()
        return ident

    def _shadow_user(self, s: Session, domain_id: str, entry: DirectoryUser) -> User:
        ident = self._map(s, domain_id, entry.local_id, USER)
        entry = replace(entry, name=entry.name[:USER_NAME_MAX])
        row = s.get(User, ident)
        if row is None or row.name != entry.name:
            self._free_name(s, User, domain_id, entry.name, ident)
        created = row is None
        if row is None:
            row = User(id=ident, domain_id=domain_id, name=entry.name, enabled=entry.enabled,
                       extra={}, options={}, created_at=utcnow(), failed_auth_count=0)
            s.add(row)
        wanted = {"name": entry.name, "enabled": entry.enabled, "email": entry.email,
                  "description": entry.description,
                  "default_project_id": entry.default_project_id}
        changed = any(getattr(row, k) != v for k, v in wanted.items())
        for key, value in wanted.items():
            setattr(row, key, value)
        s.flush()
        if created or changed:
            bump_generation(s)
        return row

    def _shadow_group(self, s: Session, domain_id: str, entry: DirectoryGroup) -> Group:
        ident = self._map(s, domain_id, entry.local_id, GROUP)
        name = entry.name[:GROUP_NAME_MAX]
        row = s.get(Group, ident)
        if row is None or row.name != name:
            self._free_name(s, Group, domain_id, name, ident)
        created = row is None
        if row is None:
            row = Group(id=ident, domain_id=domain_id, name=name, extra={})
            s.add(row)
        changed = (row.name, row.description) != (name, entry.description)
        row.name, row.description = name, entry.description
        s.flush()
        if created or changed:
            bump_generation(s)
        return row

    @staticmethod
    def _free_name(s: Session, model: type[User] | type[Group], domain_id: str, name: str,
                   ident: str) -> None:
        """Directory names need not be unique; the shadow row that held a name hands it on
        (its own id stands in until it is read again)."""
        s.execute(update(model).where(model.domain_id == domain_id, model.name == name,
                                      model.id != ident).values(name=model.id))

    def _set_groups_of(self, s: Session, user_id: str, group_ids: Iterable[str]) -> None:
        self._set_memberships(s, GroupMembership.user_id, user_id, GroupMembership.group_id,
                              set(group_ids), lambda g: GroupMembership(user_id=user_id,
                                                                        group_id=g))

    def _set_members_of(self, s: Session, group_id: str, user_ids: Iterable[str]) -> None:
        self._set_memberships(s, GroupMembership.group_id, group_id, GroupMembership.user_id,
                              set(user_ids), lambda u: GroupMembership(user_id=u,
                                                                       group_id=group_id))

    @staticmethod
    def _set_memberships(s: Session, fixed: Any, fixed_id: str, other: Any, wanted: set[str],
                         make: Callable[[str], GroupMembership]) -> None:
        """Make the memberships of one user (or one group) exactly ``wanted``."""
        current = set(s.scalars(select(other).where(fixed == fixed_id)))
        if wanted == current:
            return
        if current - wanted:
            s.execute(delete(GroupMembership).where(fixed == fixed_id,
                                                    other.in_(current - wanted)))
        s.add_all(make(i) for i in wanted - current)
        bump_generation(s)

    def _sync_users(self, domain_id: str, entries: list[DirectoryUser]) -> list[User]:
        return list(self._write(lambda s: [self._shadow_user(s, domain_id, e)
                                           for e in entries]))

    def _sync_groups(self, domain_id: str, entries: list[DirectoryGroup]) -> list[Group]:
        return list(self._write(lambda s: [self._shadow_group(s, domain_id, e)
                                           for e in entries]))

    def _gone(self, model: type[User] | type[Group], ident: str) -> None:
        """An entry the directory no longer has: its shadow user is disabled (every token
        of it dies) and its memberships end; grants stay, as Keystone keeps them."""
        def work(s: Session) -> None:
            row = s.get(model, ident)
            if isinstance(row, User) and row.enabled:
                row.enabled = False
                bump_generation(s)
            column = GroupMembership.user_id if model is User else GroupMembership.group_id
            if s.execute(delete(GroupMembership).where(column == ident)).rowcount:  # type: ignore[attr-defined]
                bump_generation(s)
        self._write(work)

    # -- users ------------------------------------------------------------------------------
    def list_users(self, query: Mapping[str, str], group_id: str | None) -> list[User] | None:
        """The users a list asks for when a directory holds them: a directory group's
        members, or a directory domain's users."""
        if group_id is not None:
            members = self.members_of(group_id)
            if members is not None:
                return [u for u in members if name_matches(u.name, query)]
            return None
        domain_id = query.get("domain_id")
        driver = self.driver_for(domain_id)
        if driver is None or domain_id is None:
            return None
        entries = driver.list_users(query.get("name"))
        users = self._sync_users(domain_id, entries)
        return sorted((u for u in users if name_matches(u.name, query)), key=lambda u: u.id)

    def refresh_user(self, user_id: str, with_groups: bool = False) -> User | None:
        """The user as the directory has it now (its shadow updated); 404 when it is gone.
        None when the user is no directory user."""
        found = self._mapping(user_id, USER)
        if found is None:
            return None
        domain_id, local_id, driver = found
        entry = driver.get_user(local_id)
        if entry is None:
            self._gone(User, user_id)
            raise ResourceNotFound("user", user_id)
        groups = driver.groups_of_user(entry) if with_groups else None

        def work(s: Session) -> User:
            user = self._shadow_user(s, domain_id, entry)
            if groups is not None:
                rows = [self._shadow_group(s, domain_id, g) for g in groups]
                self._set_groups_of(s, user.id, (g.id for g in rows))
            return user
        user: User = self._write(work)
        return user

    def user_id_by_name(self, domain_id: str, name: str | None) -> str | None | bool:
        """The public id of the directory user of that name; None when there is none;
        False when the domain is no directory domain."""
        driver = self.driver_for(domain_id)
        if driver is None:
            return False
        entry = driver.user_by_name(name) if name else None
        if entry is None:
            return None
        return self._sync_users(domain_id, [entry])[0].id

    def authenticate(self, user_id: str, password: str) -> bool:
        """A bind as the user; False when the user is no directory user."""
        found = self._mapping(user_id, USER)
        if found is None:
            return False
        _, local_id, driver = found
        entry = driver.get_user(local_id)
        if entry is None or not driver.authenticate(entry, password):
            raise AuthFailed()
        user = self.refresh_user(user_id, with_groups=True)
        if user is None or not user.enabled:
            raise AuthFailed(f"The account is disabled for user: {user_id}.")
        with self._lock:
            self._confirmed[user_id] = time.monotonic()
        return True

    def confirm_user(self, user_id: str) -> None:
        """A token's directory user must still be in the directory, enabled: checked at
        most every ``directory_cache_time`` seconds per worker (Keystone's identity cache),
        with its memberships, which decide the token's group roles."""
        if self._mapping(user_id, USER) is None:
            return
        now = time.monotonic()
        with self._lock:
            if now - self._confirmed.get(user_id, -1e9) < self.cache_time:
                return
        # A directory round trip blocks: on the event loop the request moves to a thread.
        must_not_block("directory lookup")
        try:
            user = self.refresh_user(user_id, with_groups=True)
        except ResourceNotFound:
            raise TokenNotFound() from None
        if user is None or not user.enabled:
            raise TokenNotFound()
        with self._lock:
            if len(self._confirmed) > 10000:
                self._confirmed.clear()
            self._confirmed[user_id] = now

    # -- groups -----------------------------------------------------------------------------
    def list_groups(self, query: Mapping[str, str]) -> list[Group] | None:
        domain_id = query.get("domain_id")
        driver = self.driver_for(domain_id)
        if driver is None or domain_id is None:
            return None
        groups = self._sync_groups(domain_id, driver.list_groups(query.get("name")))
        return sorted((g for g in groups if name_matches(g.name, query)), key=lambda g: g.id)

    def refresh_group(self, group_id: str) -> Group | None:
        found = self._mapping(group_id, GROUP)
        if found is None:
            return None
        domain_id, local_id, driver = found
        entry = driver.get_group(local_id)
        if entry is None:
            self._gone(Group, group_id)
            raise ResourceNotFound("group", group_id)
        return self._sync_groups(domain_id, [entry])[0]

    def groups_of_user(self, user_id: str, query: Mapping[str, str]) -> list[Group] | None:
        found = self._mapping(user_id, USER)
        if found is None:
            return None
        self.refresh_user(user_id, with_groups=True)
        with self.db.session() as s:
            groups = list(s.scalars(
                select(Group).join(GroupMembership, GroupMembership.group_id == Group.id)
                .where(GroupMembership.user_id == user_id).order_by(Group.id)))
        return [g for g in groups if name_matches(g.name, query)]

    def members_of(self, group_id: str) -> list[User] | None:
        found = self._mapping(group_id, GROUP)
        if found is None:
            return None
        domain_id, local_id, driver = found
        entry = driver.get_group(local_id)
        if entry is None:
            self._gone(Group, group_id)
            raise ResourceNotFound("group", group_id)
        members = driver.members_of(entry)

        def work(s: Session) -> list[User]:
            group = self._shadow_group(s, domain_id, entry)
            users = [self._shadow_user(s, domain_id, m) for m in members]
            self._set_members_of(s, group.id, (u.id for u in users))
            return users
        users: list[User] = self._write(work)
        return sorted(users, key=lambda u: u.id)

    def check_member(self, group_id: str, user_id: str) -> bool | None:
        """True or False for a directory group (the user must exist: 404 otherwise); None
        when the group is no directory group."""
        members = self.members_of(group_id)
        if members is None:
            return None
        if self._mapping(user_id, USER) is not None:
            self.refresh_user(user_id)
        elif self._domain_of(User, user_id) is None:
            raise ResourceNotFound("user", user_id)
        return any(u.id == user_id for u in members)

    # -- cleanup ----------------------------------------------------------------------------
    def forget_domain(self, s: Session, domain_id: str) -> None:
        s.execute(delete(IdMapping).where(IdMapping.domain_id == domain_id))
