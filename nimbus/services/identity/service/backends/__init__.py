"""Identity drivers a domain's config can choose (``identity.driver``), one per file.

SQL is the identity service's own tables (service/users.py, service/groups.py) and has no
driver object here; every other name maps to a read-only directory driver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbus.services.identity.service.backends.base import DirectoryDriver
from nimbus.services.identity.service.backends.ldap import LdapDriver

SQL = "sql"
DRIVERS: dict[str, Callable[[dict[str, Any]], DirectoryDriver]] = {"ldap": LdapDriver}

__all__ = ["DRIVERS", "SQL", "DirectoryDriver", "LdapDriver"]
