"""OS-FEDERATION: identity providers (with their remote ids and protocols), mappings and
service providers, and the federated login (``login.py``) that turns an identity provider's
assertion into a token.

Every read returns plain dicts in Keystone's shape (without links). Every write that changes
what a federated token means (an identity provider disabled or gone, a protocol or mapping
changed, a service provider listed in tokens) bumps the identity generation.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.services.identity.errors import (
    Duplicate,
    FederatedProtocolNotFound,
    IdentityProviderNotFound,
    MappingNotFound,
    SchemaError,
    ServiceProviderNotFound,
    TokenNotFound,
)
from nimbus.services.identity.models import (
    FederatedUser,
    FederationMapping,
    FederationProtocol,
    IdentityProvider,
    IdpRemoteId,
    ServiceProvider,
    User,
)
from nimbus.services.identity.service.common import GenerationCache, bump_generation
from nimbus.services.identity.service.federation.mapping import (
    DEFAULT_SCHEMA_VERSION,
    validate_rules,
)

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService
    from nimbus.services.identity.service.tokens import TokenData

# Keystone's [saml] relay_state_prefix default.
DEFAULT_RELAY_STATE_PREFIX = "ss:mem:"
_IDP_MUTABLE = ("enabled", "description", "authorization_ttl")
_SP_MUTABLE = ("auth_url", "sp_url", "description", "enabled", "relay_state_prefix")


class Federation:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
        self._sps: GenerationCache[list[dict[str, str]]] = GenerationCache(
            identity.tokens_generation)

    # -- identity providers -----------------------------------------------------------------
    def _idp(self, s: Session, idp_id: str) -> IdentityProvider:
        found = s.get(IdentityProvider, idp_id)
        if found is None:
            raise IdentityProviderNotFound(idp_id)
        return found

    @staticmethod
    def _idp_ref(s: Session, idp: IdentityProvider) -> dict[str, Any]:
        remote_ids = s.scalars(select(IdpRemoteId.remote_id)
                               .where(IdpRemoteId.idp_id == idp.id)
                               .order_by(IdpRemoteId.remote_id))
        return {"id": idp.id, "domain_id": idp.domain_id, "enabled": idp.enabled,
                "description": idp.description, "authorization_ttl": idp.authorization_ttl,
                "remote_ids": list(remote_ids)}

    def create_idp(self, idp_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s:
            if s.get(IdentityProvider, idp_id) is not None:
                raise Duplicate("identity_provider", f"Duplicate entry: {idp_id}")
            remote_ids = list(fields.get("remote_ids") or [])
            self._check_remote_ids(s, remote_ids, idp_id)
            domain_id = fields.get("domain_id")
            if domain_id:
                self.identity.resources.domain(s, domain_id)
            else:
                domain_id = self._create_idp_domain(s, idp_id)
            idp = IdentityProvider(id=idp_id, domain_id=domain_id,
                                   enabled=bool(fields.get("enabled", False)),
                                   description=fields.get("description"),
                                   authorization_ttl=fields.get("authorization_ttl"))
            s.add(idp)
            s.add_all(IdpRemoteId(remote_id=r, idp_id=idp_id) for r in remote_ids)
            s.flush()
            return self._idp_ref(s, idp)

    def _create_idp_domain(self, s: Session, idp_id: str) -> str:
        """Keystone's domain for an identity provider registered without one."""
        from nimbus.services.identity.models import ROOT_DOMAIN, Project

        domain_id = uuid.uuid4().hex
        bump_generation(s)
        s.add(Project(id=domain_id, name=domain_id, domain_id=ROOT_DOMAIN, parent_id=None,
                      is_domain=True, enabled=True, extra={}, options={},
                      description="Auto generated federated domain for Identity Provider: "
                                  + idp_id))
        return domain_id

    @staticmethod
    def _check_remote_ids(s: Session, remote_ids: list[str], idp_id: str) -> None:
        if not remote_ids:
            return
        taken = s.scalars(select(IdpRemoteId.remote_id)
                          .where(IdpRemoteId.remote_id.in_(remote_ids),
                                 IdpRemoteId.idp_id != idp_id)).first()
        if taken is not None:
            raise Duplicate("identity_provider", f"Duplicate remote ID: {taken}")

    def list_idps(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        with self.db.session() as s:
            q = select(IdentityProvider).order_by(IdentityProvider.id)
            if filters.get("id") is not None:
                q = q.where(IdentityProvider.id == filters["id"])
            if filters.get("enabled") is not None:
                q = q.where(IdentityProvider.enabled.is_(filters["enabled"]))
            return [self._idp_ref(s, idp) for idp in s.scalars(q)]

    def get_idp(self, idp_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self._idp_ref(s, self._idp(s, idp_id))

    def update_idp(self, idp_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s:
            idp = self._idp(s, idp_id)
            for name in _IDP_MUTABLE:
                if name in fields:
                    setattr(idp, name, fields[name])
            if "remote_ids" in fields:
                remote_ids = list(fields["remote_ids"] or [])
                self._check_remote_ids(s, remote_ids, idp_id)
                s.execute(delete(IdpRemoteId).where(IdpRemoteId.idp_id == idp_id))
                s.flush()
                s.add_all(IdpRemoteId(remote_id=r, idp_id=idp_id) for r in remote_ids)
            bump_generation(s)
            s.flush()
            return self._idp_ref(s, idp)

    def delete_idp(self, idp_id: str) -> None:
        """Drops the provider, its protocols and remote ids, and the shadow users that were
        only its (their tokens die with them)."""
        with self.db.session() as s:
            idp = self._idp(s, idp_id)
            linked = set(s.scalars(select(FederatedUser.user_id)
                                   .where(FederatedUser.idp_id == idp_id)))
            s.execute(delete(FederationProtocol).where(FederationProtocol.idp_id == idp_id))
            s.execute(delete(IdpRemoteId).where(IdpRemoteId.idp_id == idp_id))
            s.execute(delete(FederatedUser).where(FederatedUser.idp_id == idp_id))
            s.delete(idp)
            s.flush()
            self._delete_orphans(s, linked)
            bump_generation(s)

    def delete_for_domain(self, s: Session, domain_id: str) -> None:
        """A deleted domain takes its identity providers along (as in Keystone)."""
        idp_ids = list(s.scalars(select(IdentityProvider.id)
                                 .where(IdentityProvider.domain_id == domain_id)))
        if not idp_ids:
            return
        for table in (FederationProtocol, IdpRemoteId, FederatedUser):
            s.execute(delete(table).where(table.idp_id.in_(idp_ids)))
        s.execute(delete(IdentityProvider).where(IdentityProvider.id.in_(idp_ids)))

    def _delete_orphans(self, s: Session, user_ids: set[str]) -> None:
        """Shadow users no identity provider names any more."""
        still_linked = set(s.scalars(select(FederatedUser.user_id)
                                     .where(FederatedUser.user_id.in_(user_ids))))
        for user_id in user_ids - still_linked:
            user = s.get(User, user_id)
            if user is not None and not self.identity.users.current_password(s, user_id):
                self.identity.assignments.delete_actor_assignments(s, user_id)
                s.delete(user)

    # -- protocols ----------------------------------------------------------------------------
    def _protocol(self, s: Session, idp_id: str, protocol_id: str) -> FederationProtocol:
        found = s.get(FederationProtocol, (protocol_id, idp_id))
        if found is None:
            raise FederatedProtocolNotFound(idp_id, protocol_id)
        return found

    @staticmethod
    def _protocol_ref(protocol: FederationProtocol) -> dict[str, Any]:
        return {"id": protocol.id, "idp_id": protocol.idp_id,
                "mapping_id": protocol.mapping_id,
                "remote_id_attribute": protocol.remote_id_attribute}

    def _check_mapping(self, s: Session, mapping_id: str) -> None:
        if s.get(FederationMapping, mapping_id) is None:
            raise SchemaError(f"Invalid mapping id: {mapping_id}")

    def create_protocol(self, idp_id: str, protocol_id: str,
                        fields: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s:
            self._check_mapping(s, fields["mapping_id"])
            self._idp(s, idp_id)
            if s.get(FederationProtocol, (protocol_id, idp_id)) is not None:
                raise Duplicate("federation_protocol",
                                f"Duplicate entry found with ID {protocol_id}")
            protocol = FederationProtocol(id=protocol_id, idp_id=idp_id,
                                          mapping_id=fields["mapping_id"],
                                          remote_id_attribute=fields.get("remote_id_attribute"))
            s.add(protocol)
            s.flush()
            return self._protocol_ref(protocol)

    def list_protocols(self, idp_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            self._idp(s, idp_id)
            rows = s.scalars(select(FederationProtocol)
                             .where(FederationProtocol.idp_id == idp_id)
                             .order_by(FederationProtocol.id))
            return [self._protocol_ref(p) for p in rows]

    def get_protocol(self, idp_id: str, protocol_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self._protocol_ref(self._protocol(s, idp_id, protocol_id))

    def update_protocol(self, idp_id: str, protocol_id: str,
                        fields: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s:
            self._check_mapping(s, fields["mapping_id"])
            protocol = self._protocol(s, idp_id, protocol_id)
            protocol.mapping_id = fields["mapping_id"]
            if "remote_id_attribute" in fields:
                protocol.remote_id_attribute = fields["remote_id_attribute"]
            bump_generation(s)
            return self._protocol_ref(protocol)

    def delete_protocol(self, idp_id: str, protocol_id: str) -> None:
        with self.db.session() as s:
            protocol = self._protocol(s, idp_id, protocol_id)
            linked = set(s.scalars(select(FederatedUser.user_id).where(
                FederatedUser.idp_id == idp_id, FederatedUser.protocol_id == protocol_id)))
            s.execute(delete(FederatedUser).where(FederatedUser.idp_id == idp_id,
                                                  FederatedUser.protocol_id == protocol_id))
            s.delete(protocol)
            s.flush()
            self._delete_orphans(s, linked)
            bump_generation(s)

    # -- mappings -----------------------------------------------------------------------------
    def _mapping(self, s: Session, mapping_id: str) -> FederationMapping:
        found = s.get(FederationMapping, mapping_id)
        if found is None:
            raise MappingNotFound(mapping_id)
        return found

    @staticmethod
    def _mapping_ref(mapping: FederationMapping) -> dict[str, Any]:
        return {"id": mapping.id, "rules": mapping.rules,
                "schema_version": mapping.schema_version}

    @staticmethod
    def _validated(fields: dict[str, Any]) -> dict[str, Any]:
        mapping = dict(fields)
        if not mapping.get("schema_version"):
            mapping["schema_version"] = DEFAULT_SCHEMA_VERSION
        validate_rules(mapping)
        return mapping

    def create_mapping(self, mapping_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        mapping = self._validated(fields)
        with self.db.session() as s:
            if s.get(FederationMapping, mapping_id) is not None:
                raise Duplicate("mapping", "Duplicate entry")
            row = FederationMapping(id=mapping_id, rules=mapping["rules"],
                                    schema_version=mapping["schema_version"])
            s.add(row)
            s.flush()
            return self._mapping_ref(row)

    def list_mappings(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(FederationMapping).order_by(FederationMapping.id))
            return [self._mapping_ref(m) for m in rows]

    def get_mapping(self, mapping_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self._mapping_ref(self._mapping(s, mapping_id))

    def update_mapping(self, mapping_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        mapping = self._validated(fields)
        with self.db.session() as s:
            row = self._mapping(s, mapping_id)
            row.rules = mapping["rules"]
            row.schema_version = mapping["schema_version"]
            bump_generation(s)
            return self._mapping_ref(row)

    def delete_mapping(self, mapping_id: str) -> None:
        with self.db.session() as s:
            s.delete(self._mapping(s, mapping_id))
            bump_generation(s)

    def mapping_for(self, idp_id: str, protocol_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            protocol = self._protocol(s, idp_id, protocol_id)
            return {**self._mapping_ref(self._mapping(s, protocol.mapping_id)),
                    "remote_id_attribute": protocol.remote_id_attribute}

    # -- service providers --------------------------------------------------------------------
    def _sp(self, s: Session, sp_id: str) -> ServiceProvider:
        found = s.get(ServiceProvider, sp_id)
        if found is None:
            raise ServiceProviderNotFound(sp_id)
        return found

    @staticmethod
    def _sp_ref(sp: ServiceProvider) -> dict[str, Any]:
        return {"id": sp.id, "enabled": sp.enabled, "description": sp.description,
                "auth_url": sp.auth_url, "sp_url": sp.sp_url,
                "relay_state_prefix": sp.relay_state_prefix}

    def create_sp(self, sp_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s:
            if s.get(ServiceProvider, sp_id) is not None:
                raise Duplicate("service_provider", f"Duplicate entry found with ID {sp_id}")
            prefix = fields.get("relay_state_prefix")
            sp = ServiceProvider(id=sp_id, enabled=bool(fields.get("enabled", False)),
                                 description=fields.get("description"),
                                 auth_url=fields["auth_url"], sp_url=fields["sp_url"],
                                 relay_state_prefix=DEFAULT_RELAY_STATE_PREFIX
                                 if prefix is None else prefix)
            s.add(sp)
            bump_generation(s)
            s.flush()
            return self._sp_ref(sp)

    def list_sps(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        with self.db.session() as s:
            q = select(ServiceProvider).order_by(ServiceProvider.id)
            if filters.get("id") is not None:
                q = q.where(ServiceProvider.id == filters["id"])
            if filters.get("enabled") is not None:
                q = q.where(ServiceProvider.enabled.is_(filters["enabled"]))
            return [self._sp_ref(sp) for sp in s.scalars(q)]

    def get_sp(self, sp_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self._sp_ref(self._sp(s, sp_id))

    def update_sp(self, sp_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s:
            sp = self._sp(s, sp_id)
            for name in _SP_MUTABLE:
                if name in fields:
                    value = fields[name]
                    if name == "relay_state_prefix" and value is None:
                        value = DEFAULT_RELAY_STATE_PREFIX
                    setattr(sp, name, value)
            bump_generation(s)
            return self._sp_ref(sp)

    def delete_sp(self, sp_id: str) -> None:
        with self.db.session() as s:
            s.delete(self._sp(s, sp_id))
            bump_generation(s)

    def token_service_providers(self, s: Session) -> list[dict[str, str]]:
        """What every token lists under ``service_providers`` (Keystone: the enabled ones,
        each with its id, auth_url and sp_url)."""
        def load() -> list[dict[str, str]]:
            rows = s.scalars(select(ServiceProvider).where(ServiceProvider.enabled.is_(True))
                             .order_by(ServiceProvider.id))
            return [{"auth_url": sp.auth_url, "id": sp.id, "sp_url": sp.sp_url} for sp in rows]

        return self._sps.get("enabled", load)

    # -- what tokens show -----------------------------------------------------------------
    def render_token(self, s: Session, data: TokenData, body: dict[str, Any]) -> None:
        """Keystone's additions to a token body: the enabled service providers, and for a
        federated user where it came from. A federated token dies with its identity
        provider, or when the provider is disabled."""
        providers = self.token_service_providers(s)
        if providers:
            body["service_providers"] = providers
        fed = data.federation
        if fed is None:
            return
        idp = s.get(IdentityProvider, fed.idp_id)
        if idp is None or not idp.enabled:
            raise TokenNotFound()
        body["user"]["OS-FEDERATION"] = {
            "groups": [{"id": g} for g in fed.group_ids],
            "identity_provider": {"id": fed.idp_id},
            "protocol": {"id": fed.protocol_id},
        }
        body["user"].pop("password_expires_at", None)
