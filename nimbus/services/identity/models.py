"""Identity tables. Domains are projects with ``is_domain`` set, as in Keystone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.kernel.db import Base, JSONText, UTCDateTime, new_id, utcnow

# domain_id of a domain row (Keystone's root marker).
ROOT_DOMAIN = "<<keystone.domain.root>>"


class Project(Base):
    __tablename__ = "identity_project"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64))
    domain_id: Mapped[str] = mapped_column(String(64), index=True)
    parent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    is_domain: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class ProjectTag(Base):
    __tablename__ = "identity_project_tag"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("identity_project.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)


class User(Base):
    __tablename__ = "identity_user"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(String(64), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    default_project_id: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(255))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    failed_auth_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_auth_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Tokens issued before this instant are invalid (password change, explicit revoke-all).
    tokens_valid_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Password(Base):
    """Every password a user has had, newest last: the current one and the history."""

    __tablename__ = "identity_password"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    self_service: Mapped[bool] = mapped_column(Boolean, default=False)


class Group(Base):
    __tablename__ = "identity_group"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64))
    domain_id: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class GroupMembership(Base):
    __tablename__ = "identity_group_membership"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[str] = mapped_column(
        ForeignKey("identity_group.id", ondelete="CASCADE"), primary_key=True, index=True)


class Role(Base):
    __tablename__ = "identity_role"
    # domain_id "" for global roles keeps the unique constraint meaningful on every engine.
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class ImpliedRole(Base):
    __tablename__ = "identity_implied_role"

    prior_role_id: Mapped[str] = mapped_column(
        ForeignKey("identity_role.id", ondelete="CASCADE"), primary_key=True)
    implied_role_id: Mapped[str] = mapped_column(
        ForeignKey("identity_role.id", ondelete="CASCADE"), primary_key=True)


class Assignment(Base):
    """A role granted to an actor (user or group) on a target (project, domain or system)."""

    __tablename__ = "identity_assignment"
    __table_args__ = (Index("ix_identity_assignment_target", "target_id", "actor_id"),)

    # UserProject, GroupProject, UserDomain, GroupDomain, UserSystem, GroupSystem
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    # project or domain id, or "system" for system assignments.
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role_id: Mapped[str] = mapped_column(
        ForeignKey("identity_role.id", ondelete="CASCADE"), primary_key=True, index=True)
    inherited: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=False)


class Region(Base):
    __tablename__ = "identity_region"

    id: Mapped[str] = mapped_column(String(255), primary_key=True, default=new_id)
    description: Mapped[str] = mapped_column(Text, default="")
    parent_region_id: Mapped[str | None] = mapped_column(String(255))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class CatalogService(Base):
    __tablename__ = "identity_service"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class Endpoint(Base):
    __tablename__ = "identity_endpoint"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("identity_service.id", ondelete="CASCADE"), index=True)
    interface: Mapped[str] = mapped_column(String(8))
    region_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class ApplicationCredential(Base):
    __tablename__ = "identity_application_credential"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    secret_hash: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unrestricted: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"id": ..., "name": ...}]: the roles it carries, a subset of the user's at creation.
    roles: Mapped[list[Any]] = mapped_column(JSONText, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessRule(Base):
    __tablename__ = "identity_access_rule"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), index=True)
    service: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(16))


class AppCredAccessRule(Base):
    __tablename__ = "identity_app_cred_access_rule"

    application_credential_id: Mapped[str] = mapped_column(
        ForeignKey("identity_application_credential.id", ondelete="CASCADE"),
        primary_key=True)
    access_rule_id: Mapped[str] = mapped_column(
        ForeignKey("identity_access_rule.id", ondelete="CASCADE"), primary_key=True)


class Credential(Base):
    __tablename__ = "identity_credential"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(255))
    # Fernet-encrypted with the credential key repository; never stored in clear.
    encrypted_blob: Mapped[bytes] = mapped_column(LargeBinary)
    key_hash: Mapped[str] = mapped_column(String(64))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class RegisteredLimit(Base):
    __tablename__ = "identity_registered_limit"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[str | None] = mapped_column(String(255))
    resource_name: Mapped[str] = mapped_column(String(255))
    default_limit: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)


class ProjectLimit(Base):
    __tablename__ = "identity_limit"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    project_id: Mapped[str | None] = mapped_column(String(64), index=True)
    domain_id: Mapped[str | None] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[str | None] = mapped_column(String(255))
    resource_name: Mapped[str] = mapped_column(String(255))
    resource_limit: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)


class RevokedToken(Base):
    """Tokens revoked one by one, by audit id, kept until they would have expired."""

    __tablename__ = "identity_revoked_token"

    audit_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class Generation(Base):
    """A counter bumped by every change that can invalidate a token or the catalog;
    each worker drops its token cache when it sees a new value."""

    __tablename__ = "identity_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# -- federation (OS-FEDERATION) --------------------------------------------------------------
class IdentityProvider(Base):
    __tablename__ = "identity_federation_idp"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain_id: Mapped[str] = mapped_column(String(64), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    authorization_ttl: Mapped[int | None] = mapped_column(Integer)


class IdpRemoteId(Base):
    """A remote id names one identity provider only (Keystone's idp_remote_ids)."""

    __tablename__ = "identity_federation_remote_id"

    remote_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    idp_id: Mapped[str] = mapped_column(
        ForeignKey("identity_federation_idp.id", ondelete="CASCADE"), index=True)


class FederationMapping(Base):
    __tablename__ = "identity_federation_mapping"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rules: Mapped[list[Any]] = mapped_column(JSONText, default=list)
    schema_version: Mapped[str] = mapped_column(String(5), default="1.0")


class FederationProtocol(Base):
    __tablename__ = "identity_federation_protocol"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idp_id: Mapped[str] = mapped_column(
        ForeignKey("identity_federation_idp.id", ondelete="CASCADE"), primary_key=True)
    mapping_id: Mapped[str] = mapped_column(String(64))
    remote_id_attribute: Mapped[str | None] = mapped_column(String(64))


class ServiceProvider(Base):
    __tablename__ = "identity_federation_sp"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    auth_url: Mapped[str] = mapped_column(String(256))
    sp_url: Mapped[str] = mapped_column(String(256))
    relay_state_prefix: Mapped[str] = mapped_column(String(256))


class FederatedUser(Base):
    """The link from an identity provider's user (``unique_id``) to a shadow user."""

    __tablename__ = "identity_federated_user"
    __table_args__ = (UniqueConstraint("idp_id", "protocol_id", "unique_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), index=True)
    idp_id: Mapped[str] = mapped_column(
        ForeignKey("identity_federation_idp.id", ondelete="CASCADE"))
    protocol_id: Mapped[str] = mapped_column(String(64))
    unique_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))


class Trust(Base):
    """A trustor's delegation of roles on a project to a trustee (OS-TRUST)."""

    __tablename__ = "identity_trust"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    trustor_user_id: Mapped[str] = mapped_column(String(64), index=True)
    trustee_user_id: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[str | None] = mapped_column(String(64))
    impersonation: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # None: unlimited; counts down with every token issued.
    remaining_uses: Mapped[int | None] = mapped_column(Integer)
    redelegated_trust_id: Mapped[str | None] = mapped_column(String(64), index=True)
    redelegation_count: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrustRole(Base):
    __tablename__ = "identity_trust_role"

    trust_id: Mapped[str] = mapped_column(
        ForeignKey("identity_trust.id", ondelete="CASCADE"), primary_key=True)
    # No foreign key, as in Keystone: a deleted role just drops out of the trust's views.
    role_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class OAuthConsumer(Base):
    """An OAuth 1.0a consumer; its secret signs requests (HMAC), so it is kept as is."""

    __tablename__ = "identity_oauth_consumer"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    description: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(64))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OAuthRequestToken(Base):
    __tablename__ = "identity_oauth_request_token"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_secret: Mapped[str] = mapped_column(String(64))
    verifier: Mapped[str | None] = mapped_column(String(64))
    authorizing_user_id: Mapped[str | None] = mapped_column(String(64))
    requested_project_id: Mapped[str] = mapped_column(String(64))
    role_ids: Mapped[list[Any] | None] = mapped_column(JSONText)
    consumer_id: Mapped[str] = mapped_column(
        ForeignKey("identity_oauth_consumer.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OAuthAccessToken(Base):
    __tablename__ = "identity_oauth_access_token"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_secret: Mapped[str] = mapped_column(String(64))
    authorizing_user_id: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[str] = mapped_column(String(64))
    role_ids: Mapped[list[Any]] = mapped_column(JSONText, default=list)
    consumer_id: Mapped[str] = mapped_column(
        ForeignKey("identity_oauth_consumer.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DomainConfigOption(Base):
    """One option of a domain's own identity configuration (Keystone's whitelisted and
    sensitive config tables in one): a sensitive value is kept only Fernet-encrypted."""

    __tablename__ = "identity_domain_config"

    domain_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    option_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONText, nullable=True)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    # The JSON of the value, encrypted with the credential keys; set only when sensitive.
    encrypted_value: Mapped[bytes | None] = mapped_column(LargeBinary)


class IdMapping(Base):
    """Public ids of users and groups kept outside the database (Keystone's id_mapping):
    a SHA-256 of the domain, the directory's local id and the entity type."""

    __tablename__ = "identity_id_mapping"
    __table_args__ = (UniqueConstraint("domain_id", "local_id", "entity_type"),)

    public_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain_id: Mapped[str] = mapped_column(String(64), index=True)
    local_id: Mapped[str] = mapped_column(String(255))
    entity_type: Mapped[str] = mapped_column(String(16))


# -- OS-EP-FILTER, policy blobs and revocation events (identity_ep_filter migration) -------
class EndpointGroup(Base):
    """A filter on endpoint attributes (service_id, region_id, interface)."""

    __tablename__ = "identity_endpoint_group"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class ProjectEndpoint(Base):
    """An endpoint associated with a project directly."""

    __tablename__ = "identity_project_endpoint"

    endpoint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ProjectEndpointGroup(Base):
    """An endpoint group associated with a project."""

    __tablename__ = "identity_project_endpoint_group"

    endpoint_group_id: Mapped[str] = mapped_column(
        ForeignKey("identity_endpoint_group.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class PolicyBlob(Base):
    """/v3/policies: an opaque blob of a type, stored for other services (deprecated API)."""

    __tablename__ = "identity_policy"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(255))
    blob: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class RevocationEvent(Base):
    """What OS-REVOKE lists: one row per revocation, with Keystone's columns."""

    __tablename__ = "identity_revocation_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain_id: Mapped[str | None] = mapped_column(String(64))
    project_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    role_id: Mapped[str | None] = mapped_column(String(64))
    trust_id: Mapped[str | None] = mapped_column(String(64))
    consumer_id: Mapped[str | None] = mapped_column(String(64))
    access_token_id: Mapped[str | None] = mapped_column(String(64))
    issued_before: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    audit_id: Mapped[str | None] = mapped_column(String(32))
    audit_chain_id: Mapped[str | None] = mapped_column(String(32))


class PolicyAssociation(Base):
    """OS-ENDPOINT-POLICY: a policy blob for an endpoint, a service, or a service in a
    region. The id only gives the row a key (the others may be null)."""

    __tablename__ = "identity_policy_association"
    __table_args__ = (UniqueConstraint("endpoint_id", "service_id", "region_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    policy_id: Mapped[str] = mapped_column(String(64), index=True)
    endpoint_id: Mapped[str | None] = mapped_column(String(64))
    service_id: Mapped[str | None] = mapped_column(String(64))
    region_id: Mapped[str | None] = mapped_column(String(255))
