"""The interface of a directory that holds a domain's users and groups (read-only)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class DirectoryUser:
    local_id: str
    dn: str
    name: str
    enabled: bool
    email: str | None = None
    description: str | None = None
    default_project_id: str | None = None


@dataclass(frozen=True)
class DirectoryGroup:
    local_id: str
    dn: str
    name: str
    description: str | None = None


class DirectoryDriver(ABC):
    """Lookups by the directory's own (local) ids; the caller maps them to public ids.
    A directory that does not answer raises DirectoryUnavailable."""

    @abstractmethod
    def list_users(self, name: str | None = None) -> list[DirectoryUser]: ...

    @abstractmethod
    def get_user(self, local_id: str) -> DirectoryUser | None: ...

    @abstractmethod
    def user_by_name(self, name: str) -> DirectoryUser | None: ...

    @abstractmethod
    def authenticate(self, user: DirectoryUser, password: str) -> bool:
        """True when the directory accepts the password for the user (a bind as the user)."""

    @abstractmethod
    def list_groups(self, name: str | None = None) -> list[DirectoryGroup]: ...

    @abstractmethod
    def get_group(self, local_id: str) -> DirectoryGroup | None: ...

    @abstractmethod
    def groups_of_user(self, user: DirectoryUser) -> list[DirectoryGroup]: ...

    @abstractmethod
    def members_of(self, group: DirectoryGroup) -> list[DirectoryUser]: ...
