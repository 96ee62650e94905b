"""Domain-specific identity configuration (Keystone's domain_config_api).

Only the groups and options Keystone lets a domain override are accepted; ``ldap.password``
is sensitive: stored Fernet-encrypted with the credential keys, never returned, and
substituted into other options that name it as ``%(password)s``. Every change bumps the
identity generation, so each worker picks the domain's new driver on its next request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cryptography.fernet import InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.services.identity.errors import DomainConfigNotFound, InvalidDomainConfig
from nimbus.services.identity.models import DomainConfigOption
from nimbus.services.identity.service.common import bump_generation
from nimbus.services.identity.service.resources import DEFAULT_DOMAIN_ID

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

log = logging.getLogger(__name__)

Config = dict[str, dict[str, Any]]

SECURITY_COMPLIANCE = "security_compliance"
SECURITY_COMPLIANCE_READABLE = ("password_regex", "password_regex_description")

# Keystone's defaults for every option a domain may override, in Keystone's order.
DEFAULTS: Config = {
    "identity": {"driver": "sql", "list_limit": None},
    "ldap": {
        "url": "ldap://localhost", "user": None, "suffix": "cn=example,cn=com",
        "query_scope": "one", "page_size": 0, "alias_dereferencing": "default",
        "debug_level": None, "chase_referrals": None, "user_tree_dn": None,
        "user_filter": None, "user_objectclass": "inetOrgPerson", "user_id_attribute": "cn",
        "user_name_attribute": "sn", "user_mail_attribute": "mail",
        "user_description_attribute": "description", "user_pass_attribute": "userPassword",
        "user_enabled_attribute": "enabled", "user_enabled_invert": False,
        "user_enabled_mask": 0, "user_enabled_default": "True",
        "user_attribute_ignore": ["default_project_id"],
        "user_default_project_id_attribute": None, "user_enabled_emulation": False,
        "user_enabled_emulation_dn": None, "user_enabled_emulation_use_group_config": False,
        "user_additional_attribute_mapping": [], "group_tree_dn": None, "group_filter": None,
        "group_objectclass": "groupOfNames", "group_id_attribute": "cn",
        "group_name_attribute": "ou", "group_members_are_ids": False,
        "group_member_attribute": "member", "group_desc_attribute": "description",
        "group_attribute_ignore": [], "group_additional_attribute_mapping": [],
        "tls_cacertfile": None, "tls_cacertdir": None, "use_tls": False,
        "tls_req_cert": "demand", "use_pool": True, "pool_size": 10, "pool_retry_max": 3,
        "pool_retry_delay": 0.1, "pool_connection_timeout": -1,
        "pool_connection_lifetime": 600, "use_auth_pool": True, "auth_pool_size": 100,
        "auth_pool_connection_lifetime": 60,
    },
}
WHITELISTED: dict[str, tuple[str, ...]] = {g: tuple(opts) for g, opts in DEFAULTS.items()}
SENSITIVE: dict[str, tuple[str, ...]] = {"identity": (), "ldap": ("password",)}


def _where(group: str | None, option: str | None) -> str:
    if option:
        return f"option {option} in group {group}"
    if group:
        return f"group {group}"
    return "any options"


def check_group_and_option(group: str | None, option: str | None) -> None:
    """403 unless the group (and option) may be set for a domain."""
    if not group:
        return
    if group not in WHITELISTED and group not in SENSITIVE:
        raise InvalidDomainConfig(f"Group {group} is not supported for domain specific "
                                  "configurations")
    if option and option not in WHITELISTED.get(group, ()) \
            and option not in SENSITIVE.get(group, ()):
        raise InvalidDomainConfig(f"Option {option} in group {group} is not supported for "
                                  "domain specific configurations")


def check_config(config: Config) -> None:
    """What a create or update may carry: at least one group, each a non-empty object of
    supported options."""
    if not config:
        raise InvalidDomainConfig("No options specified")
    for group, options in config.items():
        if not options or not isinstance(options, dict):
            raise InvalidDomainConfig(f"The value of group {group} specified in the config "
                                      "should be a dictionary of options")
        for option in options:
            check_group_and_option(group, option)


def _check_scoped_update(config: Config, group: str | None, option: str | None) -> None:
    """A group (or option) update carries that group (or option) and nothing else."""
    if not group:
        return
    if len(config) != 1 or (option and len(next(iter(config.values()))) != 1):
        if option:
            raise InvalidDomainConfig(f"Trying to update option {option} in group {group}, "
                                      "so that, and only that, option must be specified  in "
                                      "the config")
        raise InvalidDomainConfig(f"Trying to update group {group}, so that, and only that, "
                                  "group must be specified in the config")
    if group not in config:
        raise InvalidDomainConfig(f"request to update group {group}, but config provided "
                                  f"contains group {next(iter(config))} instead")
    if option and option not in config[group]:
        raise InvalidDomainConfig(f"Trying to update option {option} in group {group}, but "
                                  "config provided contains option "
                                  f"{next(iter(config[group]))} instead")


def _is_sensitive(group: str, option: str) -> bool:
    return option in SENSITIVE.get(group, ())


def _as_config(rows: Iterable[tuple[str, str, Any]]) -> Config:
    out: Config = {}
    for group, option, value in rows:
        out.setdefault(group, {})[option] = value
    return out


def _substitute(config: Config, secrets: dict[str, Any]) -> Config:
    """Sensitive values put into the options that name them (``%(password)s`` in a url)."""
    out: Config = {}
    for group, options in config.items():
        for option, value in options.items():
            if isinstance(value, str) and "%(" in value:
                try:
                    value = value % secrets
                except (KeyError, ValueError, TypeError):
                    log.warning("domain config %s.%s holds an unmatched or malformed "
                                "substitution reference", group, option)
            out.setdefault(group, {})[option] = value
    return out


class DomainConfigs:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    # -- storage ----------------------------------------------------------------------------
    def _rows(self, s: Session, domain_id: str, group: str | None = None,
              option: str | None = None) -> list[DomainConfigOption]:
        q = select(DomainConfigOption).where(DomainConfigOption.domain_id == domain_id)
        if group:
            q = q.where(DomainConfigOption.group_name == group)
        if option:
            q = q.where(DomainConfigOption.option_name == option)
        return list(s.scalars(q.order_by(DomainConfigOption.group_name,
                                         DomainConfigOption.option_name)))

    def _secret_value(self, row: DomainConfigOption) -> Any:
        fernet = self.identity.credentials.keys.fernet()
        try:
            return json.loads(fernet.decrypt(row.encrypted_value or b""))
        except (InvalidToken, ValueError):
            log.error("domain %s: config option %s.%s could not be decrypted",
                      row.domain_id, row.group_name, row.option_name)
            return None

    def _store(self, s: Session, domain_id: str, config: Config) -> None:
        fernet = self.identity.credentials.keys.fernet()
        for group, options in config.items():
            for option, value in options.items():
                row = s.get(DomainConfigOption, (domain_id, group, option)) or \
                    DomainConfigOption(domain_id=domain_id, group_name=group,
                                       option_name=option)
                row.sensitive = _is_sensitive(group, option)
                row.value = None if row.sensitive else value
                row.encrypted_value = fernet.encrypt(json.dumps(value).encode()) \
                    if row.sensitive else None
                s.add(row)

    def _visible(self, rows: list[DomainConfigOption]) -> Config:
        return _as_config((r.group_name, r.option_name, r.value) for r in rows
                          if not r.sensitive)

    def _check_domain(self, s: Session, domain_id: str) -> None:
        self.identity.resources.domain(s, domain_id)

    # -- the API ----------------------------------------------------------------------------
    def create_config(self, domain_id: str, config: Config) -> tuple[Config, bool]:
        """Replace the domain's config; True when it had none before (a 201)."""
        with self.db.session() as s:
            self._check_domain(s, domain_id)
            check_config(config)
            existed = bool(self._rows(s, domain_id))
            s.execute(delete(DomainConfigOption)
                      .where(DomainConfigOption.domain_id == domain_id))
            self._store(s, domain_id, config)
            s.flush()
            bump_generation(s)
            return self._visible(self._rows(s, domain_id)), not existed

    def get_config(self, domain_id: str, group: str | None = None,
                   option: str | None = None) -> dict[str, Any]:
        with self.db.session() as s:
            self._check_domain(s, domain_id)
            check_group_and_option(group, option)
            visible = self._visible(self._rows(s, domain_id, group, option))
        if not visible:
            raise DomainConfigNotFound(domain_id, _where(group, option))
        return {option: visible[group][option]} if group and option else visible

    def update_config(self, domain_id: str, config: Config, group: str | None = None,
                      option: str | None = None) -> Config:
        """Merge into the domain's config; a group or option update needs it to exist."""
        if group and option:
            config = {group: config}
        with self.db.session() as s:
            self._check_domain(s, domain_id)
            check_config(config)
            check_group_and_option(group, option)
            _check_scoped_update(config, group, option)
            if group and not self._rows(s, domain_id, group, option):
                raise DomainConfigNotFound(domain_id, _where(group, option))
            self._store(s, domain_id, config)
            s.flush()
            bump_generation(s)
            visible = self._visible(self._rows(s, domain_id))
        if not visible:
            raise DomainConfigNotFound(domain_id, _where(None, None))
        return visible

    def delete_config(self, domain_id: str, group: str | None = None,
                      option: str | None = None) -> None:
        with self.db.session() as s:
            self._check_domain(s, domain_id)
            check_group_and_option(group, option)
            rows = self._rows(s, domain_id, group, option)
            if group and not rows:
                raise DomainConfigNotFound(domain_id, _where(group, option))
            for row in rows:
                s.delete(row)
            bump_generation(s)

    def list_limit(self, domain_id: str | None) -> int | None:
        """The domain's ``identity.list_limit``: the most users or groups a list of that
        domain shows (Keystone then marks the list truncated)."""
        if not domain_id:
            return None
        with self.db.session() as s:
            row = s.get(DomainConfigOption, (domain_id, "identity", "list_limit"))
            value = row.value if row is not None else None
        try:
            limit = int(value) if value is not None and not isinstance(value, bool) else None
        except (TypeError, ValueError):
            return None
        return limit if limit and limit > 0 else None

    def delete_for_domain(self, s: Session, domain_id: str) -> None:
        s.execute(delete(DomainConfigOption).where(DomainConfigOption.domain_id == domain_id))

    # -- defaults and security compliance -------------------------------------------------------
    @staticmethod
    def get_default(group: str | None = None, option: str | None = None) -> dict[str, Any]:
        check_group_and_option(group, option)
        if group and option:
            if option not in WHITELISTED[group]:
                raise InvalidDomainConfig(f"Reading the default for option {option} in group "
                                          f"{group} is not supported")
            return {option: DEFAULTS[group][option]}
        groups = [group] if group else list(DEFAULTS)
        return {g: dict(DEFAULTS[g]) for g in groups}

    def security_compliance(self, domain_id: str, option: str | None = None) -> dict[str, Any]:
        """The password rules every client may read, for the default domain only."""
        if domain_id != DEFAULT_DOMAIN_ID:
            raise InvalidDomainConfig("Reading security compliance information for any "
                                      "domain other than the default domain is not allowed "
                                      "or supported")
        if option and option not in SECURITY_COMPLIANCE_READABLE:
            raise InvalidDomainConfig("Reading security compliance values other than "
                                      "password_regex and password_regex_description is "
                                      "not allowed")
        settings = self.identity.settings.security_compliance
        names = (option,) if option else SECURITY_COMPLIANCE_READABLE
        values = {name: getattr(settings, name) or None for name in names}
        return values if option else {SECURITY_COMPLIANCE: values}

    # -- for the identity drivers -----------------------------------------------------------------
    def effective(self, domain_id: str) -> Config:
        """The domain's whole config, sensitive values included and substituted into the
        others; {} when it has none. Never returned to a caller."""
        with self.db.session() as s:
            rows = self._rows(s, domain_id)
            secrets = [(r.group_name, r.option_name, self._secret_value(r))
                       for r in rows if r.sensitive]
            plain = _as_config((r.group_name, r.option_name, r.value)
                               for r in rows if not r.sensitive)
        found = _substitute(plain, {option: value for _, option, value in secrets
                                    if value is not None})
        for group, option, value in secrets:
            found.setdefault(group, {})[option] = value
        return found
