"""A read-only LDAP directory as a domain's identity driver (Keystone's ldap driver), with
ldap3. Options and defaults are Keystone's ``[ldap]`` ones, from the domain's config.

Each operation opens its own connection: the driver is shared by a worker's threads, and
an LDAP bind is cheap next to the hashing a SQL password costs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from nimbus.services.identity.errors import DirectoryUnavailable
from nimbus.services.identity.service.backends.base import (
    DirectoryDriver,
    DirectoryGroup,
    DirectoryUser,
)
from nimbus.services.identity.service.domain_config import DEFAULTS

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
RECEIVE_TIMEOUT = 15
NO_SUCH_OBJECT = 32
SCOPES = {"one": ldap3.LEVEL, "sub": ldap3.SUBTREE, "base": ldap3.BASE}
DEREF = {"default": ldap3.DEREF_ALWAYS, "never": ldap3.DEREF_NEVER,
         "searching": ldap3.DEREF_SEARCH, "finding": ldap3.DEREF_BASE,
         "always": ldap3.DEREF_ALWAYS}
_ESCAPED = re.compile(r"\\([0-9a-fA-F]{2}|.)")


def _unescape_dn_value(value: str) -> str:
    """An RDN value as written in a DN (RFC 4514: ``\\,`` or hex pairs of UTF-8 bytes)."""
    out = bytearray()
    position = 0
    for match in _ESCAPED.finditer(value):
        out += value[position:match.start()].encode("utf-8")
        text = match.group(1)
        out += bytes([int(text, 16)]) if len(text) == 2 else text.encode("utf-8")
        position = match.end()
    out += value[position:].encode("utf-8")
    return out.decode("utf-8", "replace")


def _truthy(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


def _number(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _names(value: Any) -> set[str]:
    """A list option as the API stores it (a list) or as a config file writes it (a, b)."""
    items = value.split(",") if isinstance(value, str) else (value or [])
    return {str(item).strip().lower() for item in items if str(item).strip()}


class Attributes:
    """One entry's attributes, looked up without regard to case, as text."""

    def __init__(self, raw: dict[str, list[bytes]]) -> None:
        self._raw = {key.lower(): values for key, values in raw.items()}

    def all(self, name: str) -> list[str]:
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                for v in self._raw.get(name.lower(), [])]

    def first(self, name: str) -> str | None:
        found = self.all(name)
        return found[0] if found else None


class LdapDriver(DirectoryDriver):
    def __init__(self, config: dict[str, Any]) -> None:
        self.opts = {**DEFAULTS["ldap"], "password": None, **(config.get("ldap") or {})}
        suffix = self.opts["suffix"]
        self.user_tree = self.opts["user_tree_dn"] or f"ou=Users,{suffix}"
        self.group_tree = self.opts["group_tree_dn"] or f"ou=UserGroups,{suffix}"
        self.scope = SCOPES.get(str(self.opts["query_scope"]).lower(), ldap3.LEVEL)
        self.user_ignore = _names(self.opts["user_attribute_ignore"])

    # -- connections ------------------------------------------------------------------------
    def _url(self) -> str:
        return str(self.opts["url"]).split(",")[0].strip()

    def _where(self) -> str:
        """The server for log lines, without any credentials a url may carry."""
        parts = urlsplit(self._url())
        return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"

    def _server(self) -> ldap3.Server:
        url = self._url()
        parts = urlsplit(url)
        secure = parts.scheme == "ldaps"
        tls = None
        if secure or _truthy(self.opts["use_tls"]):
            import ssl
            demand = str(self.opts["tls_req_cert"]).lower() != "never"
            tls = ldap3.Tls(validate=ssl.CERT_REQUIRED if demand else ssl.CERT_NONE,
                            ca_certs_file=self.opts["tls_cacertfile"],
                            ca_certs_path=self.opts["tls_cacertdir"])
        return ldap3.Server(parts.hostname or "localhost",
                            port=parts.port or (636 if secure else 389), use_ssl=secure,
                            tls=tls, get_info=ldap3.NONE, connect_timeout=CONNECT_TIMEOUT)

    @contextmanager
    def _connection(self, user: str | None, password: str | None) -> Iterator[ldap3.Connection]:
        conn = ldap3.Connection(self._server(), user=user, password=password,
                                receive_timeout=RECEIVE_TIMEOUT, raise_exceptions=False,
                                read_only=True)
        try:
            conn.open()
            if _truthy(self.opts["use_tls"]) and not conn.server.ssl:
                conn.start_tls()
            yield conn
        finally:
            conn.unbind()

    @contextmanager
    def _service(self) -> Iterator[ldap3.Connection]:
        """A connection bound as the configured ``ldap.user`` (anonymous without one)."""
        try:
            with self._connection(self.opts["user"], self.opts["password"]) as conn:
                if not conn.bind():
                    log.error("LDAP bind as %s to %s failed: %s", self.opts["user"],
                              self._where(), conn.result.get("description"))
                    raise DirectoryUnavailable()
                yield conn
        except LDAPException as exc:
            log.error("LDAP server %s: %s", self._where(), exc)
            raise DirectoryUnavailable() from None

    def _search(self, base: str, query: str, attributes: list[str],
                scope: Any = None) -> list[tuple[str, Attributes]]:
        with self._service() as conn:
            kwargs: dict[str, Any] = {
                "search_scope": self.scope if scope is None else scope,
                "attributes": attributes,
                "dereference_aliases": DEREF.get(str(self.opts["alias_dereferencing"]),
                                                 ldap3.DEREF_ALWAYS)}
            page = _number(self.opts["page_size"])
            if page > 0:
                found = conn.extend.standard.paged_search(base, query, paged_size=page,
                                                          generator=False, **kwargs)
                entries = list(found or [])
            else:
                conn.search(base, query, **kwargs)
                entries = list(conn.response or [])
            code = conn.result.get("result", 0)
            if code not in (0, NO_SUCH_OBJECT):
                log.error("LDAP search under %s failed: %s", base, conn.result)
                raise DirectoryUnavailable()
        return [(e["dn"], Attributes(e.get("raw_attributes") or {})) for e in entries
                if e.get("type") == "searchResEntry"]

    @staticmethod
    def _and(*parts: str | None) -> str:
        return "(&" + "".join(p for p in parts if p) + ")"

    # -- users ------------------------------------------------------------------------------
    def _user_attributes(self) -> list[str]:
        o = self.opts
        names = [o["user_id_attribute"], o["user_name_attribute"], o["user_mail_attribute"],
                 o["user_description_attribute"], o["user_enabled_attribute"]]
        if o["user_default_project_id_attribute"]:
            names.append(o["user_default_project_id_attribute"])
        return [n for n in names if n]

    def _users(self, *conditions: str) -> list[DirectoryUser]:
        query = self._and(f"(objectClass={self.opts['user_objectclass']})",
                          self.opts["user_filter"], *conditions)
        rows = self._search(self.user_tree, query, self._user_attributes())
        return [user for dn, attrs in rows if (user := self._to_user(dn, attrs)) is not None]

    def _to_user(self, dn: str, attrs: Attributes) -> DirectoryUser | None:
        o = self.opts
        local_id = attrs.first(o["user_id_attribute"])
        if local_id is None:
            return None
        project_attr = o["user_default_project_id_attribute"]
        project = attrs.first(project_attr) if project_attr and \
            "default_project_id" not in self.user_ignore else None
        return DirectoryUser(
            local_id=local_id, dn=dn, name=attrs.first(o["user_name_attribute"]) or local_id,
            enabled=self._enabled(attrs),
            email=attrs.first(o["user_mail_attribute"]) if "email" not in self.user_ignore
            else None,
            description=attrs.first(o["user_description_attribute"])
            if "description" not in self.user_ignore else None,
            default_project_id=project)

    def _enabled(self, attrs: Attributes) -> bool:
        """Keystone's reading: a bit mask, or a boolean (inverted on request); the
        configured default when the entry has no such attribute."""
        o = self.opts
        if "enabled" in self.user_ignore or _truthy(o["user_enabled_emulation"]):
            return True
        raw = attrs.first(o["user_enabled_attribute"])
        value = raw if raw is not None else o["user_enabled_default"]
        mask = _number(o["user_enabled_mask"])
        if mask:
            return (_number(value, 0) & mask) != mask
        enabled = _truthy(value)
        return not enabled if _truthy(o["user_enabled_invert"]) else enabled

    def _with_emulated_enabled(self, users: list[DirectoryUser]) -> list[DirectoryUser]:
        """With user_enabled_emulation, a user is enabled when it is a member of the
        enabled-users group."""
        if not users or not _truthy(self.opts["user_enabled_emulation"]):
            return users
        dn = self.opts["user_enabled_emulation_dn"] or f"cn=enabled_users,{self.user_tree}"
        attr = self.opts["group_member_attribute"]
        rows = self._search(dn, "(objectClass=*)", [attr], scope=ldap3.BASE)
        members = {m.lower() for _, attrs in rows for m in attrs.all(attr)}
        return [DirectoryUser(u.local_id, u.dn, u.name, u.dn.lower() in members, u.email,
                              u.description, u.default_project_id) for u in users]

    def _eq(self, attribute: str, value: str) -> str:
        return f"({attribute}={escape_filter_chars(value)})"

    def list_users(self, name: str | None = None) -> list[DirectoryUser]:
        condition = self._eq(self.opts["user_name_attribute"], name) if name else None
        return self._with_emulated_enabled(self._users(*filter(None, [condition])))

    def get_user(self, local_id: str) -> DirectoryUser | None:
        found = self._users(self._eq(self.opts["user_id_attribute"], local_id))
        return self._with_emulated_enabled(found)[0] if found else None

    def user_by_name(self, name: str) -> DirectoryUser | None:
        found = self.list_users(name)
        return found[0] if len(found) == 1 else None

    def authenticate(self, user: DirectoryUser, password: str) -> bool:
        if not password:
            return False
        try:
            with self._connection(user.dn, password) as conn:
                return bool(conn.bind())
        except LDAPException as exc:
            log.error("LDAP server %s: %s", self._where(), exc)
            raise DirectoryUnavailable() from None

    # -- groups -----------------------------------------------------------------------------
    def _groups(self, *conditions: str) -> list[DirectoryGroup]:
        o = self.opts
        query = self._and(f"(objectClass={o['group_objectclass']})", o["group_filter"],
                          *conditions)
        attributes = [o["group_id_attribute"], o["group_name_attribute"],
                      o["group_desc_attribute"]]
        out = []
        for dn, attrs in self._search(self.group_tree, query, attributes):
            local_id = attrs.first(o["group_id_attribute"])
            if local_id is not None:
                out.append(DirectoryGroup(local_id, dn,
                                          attrs.first(o["group_name_attribute"]) or local_id,
                                          attrs.first(o["group_desc_attribute"])))
        return out

    def list_groups(self, name: str | None = None) -> list[DirectoryGroup]:
        condition = self._eq(self.opts["group_name_attribute"], name) if name else None
        return self._groups(*filter(None, [condition]))

    def get_group(self, local_id: str) -> DirectoryGroup | None:
        found = self._groups(self._eq(self.opts["group_id_attribute"], local_id))
        return found[0] if found else None

    def groups_of_user(self, user: DirectoryUser) -> list[DirectoryGroup]:
        member = user.local_id if _truthy(self.opts["group_members_are_ids"]) else user.dn
        return self._groups(self._eq(self.opts["group_member_attribute"], member))

    def members_of(self, group: DirectoryGroup) -> list[DirectoryUser]:
        attr = self.opts["group_member_attribute"]
        rows = self._search(group.dn, "(objectClass=*)", [attr], scope=ldap3.BASE)
        members = [m for _, attrs in rows for m in attrs.all(attr)]
        ids = members if _truthy(self.opts["group_members_are_ids"]) else \
            [i for i in (self._dn_to_id(m) for m in members) if i is not None]
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        id_attr = self.opts["user_id_attribute"]
        found = self._users("(|" + "".join(self._eq(id_attr, i) for i in wanted) + ")")
        return self._with_emulated_enabled(found)

    def _dn_to_id(self, dn: str) -> str | None:
        """A member DN's user id: its first RDN when that is the id attribute (Keystone's
        shortcut), else the entry's id attribute; None for entries that are no users."""
        try:
            first = parse_dn(dn)[0]
        except (LDAPException, IndexError, ValueError):
            return None
        if first[0].lower() == str(self.opts["user_id_attribute"]).lower():
            return _unescape_dn_value(first[1])
        rows = self._search(dn, f"(objectClass={self.opts['user_objectclass']})",
                            [self.opts["user_id_attribute"]], scope=ldap3.BASE)
        return rows[0][1].first(self.opts["user_id_attribute"]) if rows else None
