"""The federated login (Keystone's ``mapped`` method): an identity provider's assertion,
through the protocol's mapping, becomes a local user and the groups it acts with.

Nimbus has no web server in front doing SAML or OIDC; an OIDC protocol (``openid``, or any
listed in ``[federation] oidc_protocols``) checks the ``Authorization: Bearer`` token itself
(``oidc.py``). Other protocols have no assertion to read and are refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import CloudError, Forbidden
from nimbus.services.identity.errors import (
    AuthFailed,
    Duplicate,
    IdentityProviderDisabled,
    ResourceNotFound,
)
from nimbus.services.identity.models import FederatedUser, Group, Project, User
from nimbus.services.identity.service.common import bump_generation
from nimbus.services.identity.service.federation.mapping import (
    EPHEMERAL,
    MappedProperties,
    MappingRulesInvalid,
    RuleProcessor,
)
from nimbus.services.identity.service.federation.oidc import (
    OidcVerifier,
    assertion_from_claims,
    bearer_token,
)

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService


@dataclass(frozen=True)
class FederationRef:
    """What a federated token carries beyond its user: where the user came from and the
    groups the mapping put it in (their roles count for the token, as in Keystone)."""

    idp_id: str
    protocol_id: str
    group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoginResult:
    user_id: str
    # None for a user mapped onto an existing local user: a plain token, as Keystone issues.
    federation: FederationRef | None


class FederatedLogin:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self.settings = identity.settings.federation
        self.verifier = OidcVerifier()

    def login(self, idp_id: str, protocol_id: str, headers: Mapping[str, str]) -> LoginResult:
        federation = self.identity.federation
        idp = federation.get_idp(idp_id)
        if idp["enabled"] is not True:
            raise IdentityProviderDisabled(idp_id)
        mapping = federation.mapping_for(idp_id, protocol_id)
        assertion, default_remote_attr = self._assertion(idp, protocol_id, headers)
        try:
            self._check_remote_id(idp, assertion,
                                  mapping["remote_id_attribute"] or default_remote_attr)
            mapped = RuleProcessor(mapping["id"], mapping["rules"],
                                   mapping["schema_version"]).process(assertion)
            group_ids = self._group_ids(mapped, mapping["id"])
        except MappingRulesInvalid as exc:
            raise AuthFailed(exc.message) from None
        if mapped.user_type != EPHEMERAL:
            return LoginResult(self._local_user(mapped.user), None)
        user_id = self._shadow_user(idp, protocol_id, mapped.user)
        if mapped.projects:
            self._provision_projects(user_id, idp["domain_id"], mapped.projects)
        return LoginResult(user_id, FederationRef(idp_id, protocol_id, tuple(group_ids)))

    # -- the assertion ------------------------------------------------------------------------
    def _assertion(self, idp: dict[str, Any], protocol_id: str,
                   headers: Mapping[str, str]) -> tuple[dict[str, str], str]:
        """The identity provider's attributes, and the one naming the provider by default."""
        if not self.settings.is_oidc_protocol(protocol_id):
            raise AuthFailed(f"Protocol {protocol_id} has no assertion Nimbus can read: only "
                             "OpenID Connect protocols are served.")
        issuer = self.settings.oidc_issuer(idp["id"])
        if issuer is None:
            raise AuthFailed(f"Identity Provider {idp['id']} has no OpenID Connect settings.")
        claims = self.verifier.claims(bearer_token(headers), issuer, idp["remote_ids"])
        return assertion_from_claims(claims, issuer.claim_prefix), f"{issuer.claim_prefix}iss"

    @staticmethod
    def _check_remote_id(idp: dict[str, Any], assertion: dict[str, str], attribute: str) -> None:
        if not idp["remote_ids"]:
            return
        if attribute not in assertion:
            raise MappingRulesInvalid("Could not find Identity Provider identifier in "
                                      "environment")
        if assertion[attribute] not in idp["remote_ids"]:
            raise Forbidden("Incoming identity provider identifier not included among the "
                            "accepted identifiers.")

    def _group_ids(self, mapped: MappedProperties, mapping_id: str) -> list[str]:
        ids = set(mapped.group_ids)
        with self.db.session() as s:
            for group_id in ids:
                if s.get(Group, group_id) is None:
                    raise MappedGroupNotFound(group_id, mapping_id)
            for ref in mapped.group_names:
                try:
                    domain_id = self._domain_id(s, ref["domain"])
                except ResourceNotFound:
                    continue
                found = s.scalars(select(Group.id).where(Group.name == ref["name"],
                                                         Group.domain_id == domain_id)).first()
                if found is not None:
                    ids.add(found)
        return sorted(ids)

    def _domain_id(self, s: Session, ref: dict[str, Any]) -> str:
        if ref.get("id"):
            return str(ref["id"])
        return self.identity.resources.domain_by_name(s, ref.get("name")).id

    # -- users --------------------------------------------------------------------------------
    def _local_user(self, ref: dict[str, Any]) -> str:
        """``user.type: local``: the mapping names an existing user (by id, or by name in
        a domain)."""
        with self.db.session() as s:
            return self.identity.users.find_for_auth(s, ref).id

    def _shadow_user(self, idp: dict[str, Any], protocol_id: str, ref: dict[str, Any]) -> str:
        unique = ref.get("id") or ref.get("name")
        if not unique:
            raise AuthFailed("Could not map user while setting ephemeral user identity. Either "
                             "mapping rules must specify user id/name or REMOTE_USER "
                             "environment variable must be set.")
        name = str(ref.get("name") or unique)
        unique_id = quote(str(unique))
        try:
            return self._shadow_user_once(idp, protocol_id, ref, name, unique_id)
        except IntegrityError:
            # A first login of the same user ran at the same time and made the rows.
            return self._shadow_user_once(idp, protocol_id, ref, name, unique_id)

    def _shadow_user_once(self, idp: dict[str, Any], protocol_id: str, ref: dict[str, Any],
                          name: str, unique_id: str) -> str:
        with self.db.session() as s:
            try:
                domain_id = self._domain_id(s, ref.get("domain") or {"id": idp["domain_id"]})
                self.identity.resources.domain(s, domain_id)
            except ResourceNotFound as exc:
                raise AuthFailed(exc.message) from None
            user_id = hashlib.sha256(f"{domain_id}user{unique_id}".encode()).hexdigest()
            user = s.get(User, user_id)
            if user is None or user.name != name:
                self._check_name_free(s, domain_id, name, user_id)
            if user is None:
                user = User(id=user_id, name=name, domain_id=domain_id, enabled=True,
                            extra={}, options={}, created_at=utcnow(), failed_auth_count=0)
                s.add(user)
                bump_generation(s)
            elif user.name != name:
                user.name = name
                bump_generation(s)
            if ref.get("email") and user.email != ref["email"]:
                user.email = ref["email"]
            user.last_active_at = utcnow()
            s.flush()
            self._link(s, user_id, idp["id"], protocol_id, unique_id, name)
            return user_id

    @staticmethod
    def _check_name_free(s: Session, domain_id: str, name: str, user_id: str) -> None:
        taken = s.scalars(select(User.id).where(User.domain_id == domain_id, User.name == name,
                                                User.id != user_id)).first()
        if taken is not None:
            raise Duplicate("user", f"Duplicate entry found with name {name} at domain ID "
                                    f"{domain_id}")

    @staticmethod
    def _link(s: Session, user_id: str, idp_id: str, protocol_id: str, unique_id: str,
              name: str) -> None:
        link = s.scalars(select(FederatedUser).where(FederatedUser.idp_id == idp_id,
                                                     FederatedUser.protocol_id == protocol_id,
                                                     FederatedUser.unique_id == unique_id)).first()
        if link is None:
            s.add(FederatedUser(user_id=user_id, idp_id=idp_id, protocol_id=protocol_id,
                                unique_id=unique_id, display_name=name))
        else:
            link.display_name = name

    # -- projects a mapping hands out -----------------------------------------------------------
    def _provision_projects(self, user_id: str, idp_domain_id: str,
                            projects: list[dict[str, Any]]) -> None:
        """Keystone's auto-provisioning: each project (made when missing) with its roles
        granted to the user."""
        from nimbus.services.identity.service.assignments import Grant

        ident = self.identity
        for project_ref in projects:
            with self.db.session() as s:
                domain_id = self._domain_id(s, project_ref.get("domain") or {"id": idp_domain_id})
                roles = [ident.assignments.role_by_name(s, r["name"]).id
                         for r in project_ref["roles"]]
                found = s.scalars(select(Project.id).where(
                    Project.name == project_ref["name"], Project.domain_id == domain_id,
                    Project.is_domain.is_(False))).first()
            if found is None:
                found = ident.resources.create_project(
                    {"name": project_ref["name"], "domain_id": domain_id,
                     "parent_id": domain_id})[0].id
            for role_id in roles:
                ident.assignments.create_grant(Grant("user", user_id, "project", found), role_id)


class MappedGroupNotFound(CloudError):
    """Keystone answers this with a 500; the mapping, not the server, is wrong: a 401."""

    status = 401

    def __init__(self, group_id: str, mapping_id: str) -> None:
        super().__init__(f"Group {group_id} returned by mapping {mapping_id} was not found in "
                         "the backend.")
