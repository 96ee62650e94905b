"""POST /v3/auth/tokens: prove who you are (password, token, application credential) and
choose a scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nimbus.kernel.errors import Unauthorized
from nimbus.services.identity.errors import (
    AuthFailed,
    ResourceNotFound,
    SchemaError,
    TokenNotFound,
)
from nimbus.services.identity.service.oauth1_signing import SignedRequest
from nimbus.services.identity.service.tokens import Scope, TokenData, ValidatedToken
from nimbus.services.identity.service.trust_tokens import TRUST_SECTION
from nimbus.services.identity.service.trusts import ForbiddenTrustAction

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

METHODS = ("password", "token", "application_credential", "oauth1")
# Keystone's federated method; an OIDC protocol's name is one too (as keystone.auth.openid).
MAPPED = "mapped"


class Authenticator:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    def authenticate(self, auth: dict[str, Any],
                     signed: SignedRequest | None = None) -> tuple[str, ValidatedToken]:
        """``signed`` is the HTTP request itself: the oauth1 method checks its signature, a
        federated method finds its assertion in its headers."""
        identity_part = auth["identity"]
        methods = list(identity_part["methods"])
        federated = [m for m in methods if self.is_federated_method(m)]
        unknown = [m for m in methods if m not in METHODS and m not in federated]
        if unknown or not methods:
            raise Unauthorized("Attempted to authenticate with an unsupported method.")
        if federated:
            return self._by_mapping(federated[0], identity_part, auth.get("scope"),
                                    signed.headers if signed is not None else {})
        if "oauth1" in methods and signed is not None:
            return self._by_oauth1(signed)
        if "application_credential" in methods:
            return self._by_application_credential(identity_part, auth.get("scope"))
        if "token" in methods:
            return self._by_token(identity_part, auth.get("scope"))
        return self._by_password(identity_part, auth.get("scope"))

    # -- methods ----------------------------------------------------------------------------
    def _by_password(self, identity_part: dict[str, Any],
                     scope_ref: Any) -> tuple[str, ValidatedToken]:
        user_ref = identity_part.get("password", {}).get("user", {})
        with self.db.session() as s:
            user = self.identity.users.find_for_auth(s, user_ref)
            user_id = user.id
            default_project = user.default_project_id
        self.identity.users.check_password(user_id, user_ref.get("password", ""))
        if _trust_requested(scope_ref):
            return self._issue_for_trust(user_id, ["password"], scope_ref)
        scope = self._resolve_scope(scope_ref, user_id, default_project)
        return self._issue(self.identity.tokens.new_data(user_id, ["password"], scope))

    def _by_token(self, identity_part: dict[str, Any],
                  scope_ref: Any) -> tuple[str, ValidatedToken]:
        token = (identity_part.get("token") or {}).get("id")
        if not token:
            raise AuthFailed()
        # An invalid or revoked token is a 404, as Keystone answers.
        parent = self.identity.tokens.validate(token)
        if parent.data.app_cred_id:
            raise Unauthorized("A token created with an application credential cannot be "
                               "rescoped.")
        refuse_delegated_rescope(parent.data)
        if _trust_requested(scope_ref):
            return self._issue_for_trust(
                parent.data.user_id, list(dict.fromkeys([*parent.data.methods, "token"])),
                scope_ref, expires_at=parent.data.expires_at,
                parent_audit_id=parent.data.audit_ids[0])
        with self.db.session() as s:
            default_project = self.identity.users.user(s, parent.data.user_id).default_project_id
        scope = (self._resolve_scope(scope_ref, parent.data.user_id, default_project)
                 if scope_ref is not None else parent.data.scope)
        methods = list(dict.fromkeys([*parent.data.methods, "token"]))
        data = self.identity.tokens.new_data(parent.data.user_id, methods, scope,
                                             expires_at=parent.data.expires_at,
                                             parent_audit_id=parent.data.audit_ids[0],
                                             federation=parent.data.federation)
        return self._issue(data)

    def is_federated_method(self, method: str) -> bool:
        return method == MAPPED or self.identity.settings.federation.is_oidc_protocol(method)

    def _by_mapping(self, method: str, identity_part: dict[str, Any], scope_ref: Any,
                    headers: Mapping[str, str]) -> tuple[str, ValidatedToken]:
        """An identity provider's assertion, mapped to a user (OS-FEDERATION)."""
        payload = identity_part.get(method) or {}
        if not isinstance(payload, dict):
            raise AuthFailed()
        if "id" in payload:
            # A federated token, rescoped through the federated method.
            return self._by_token({"token": payload}, scope_ref)
        for name in ("identity_provider", "protocol"):
            if not isinstance(payload.get(name), str):
                raise SchemaError(f"Expecting to find {name} in {method}. The server could not "
                                  "comply with the request since it is either malformed or "
                                  "otherwise incorrect. The client is assumed to be in error.")
        found = self.identity.federated_login.login(payload["identity_provider"],
                                                    payload["protocol"], headers)
        scope = self._resolve_scope(scope_ref, found.user_id, None) \
            if scope_ref is not None else Scope()
        return self._issue(self.identity.tokens.new_data(found.user_id, [method], scope,
                                                         federation=found.federation))

    def _by_application_credential(self, identity_part: dict[str, Any],
                                   scope_ref: Any) -> tuple[str, ValidatedToken]:
        if scope_ref is not None:
            raise Unauthorized("Application credentials cannot request a scope.")
        ref = identity_part.get("application_credential") or {}
        found = self.identity.appcreds.authenticate(ref)
        data = self.identity.tokens.new_data(
            found.user_id, ["application_credential"], Scope("project", found.project_id),
            expires_at=found.expires_at, app_cred_id=found.id)
        return self._issue(data)

    def _by_oauth1(self, signed: SignedRequest) -> tuple[str, ValidatedToken]:
        """A token for the consumer holding an access token, scoped to its project; it
        ends with the access token at the latest."""
        access = self.identity.oauth1.authenticate(signed)
        return self._issue(self.identity.tokens.new_data(
            access.authorizing_user_id, ["oauth1"], Scope("project", access.project_id),
            expires_at=access.expires_at, access_token_id=access.id))

    def _issue_for_trust(self, user_id: str, methods: list[str], scope_ref: dict[str, Any],
                         **token_fields: Any) -> tuple[str, ValidatedToken]:
        """A token scoped by the trust the request names; it spends one of its uses."""
        trust = self.identity.trust_tokens.for_auth(scope_ref[TRUST_SECTION], user_id)
        scope = Scope("project", trust.project_id) if trust.project_id else Scope()
        # The token ends with the trust: a token's meaning is cached until something changes,
        # and time passing changes nothing.
        expiries = [t for t in (token_fields.pop("expires_at", None), trust.expires_at) if t]
        issued = self._issue(self.identity.tokens.new_data(
            user_id, methods, scope, expires_at=min(expiries) if expiries else None,
            trust_id=trust.id, **token_fields))
        try:
            self.identity.trusts.consume_use(trust.id)
        except ResourceNotFound as exc:
            raise AuthFailed(exc.message) from None
        return issued

    # -- scope ------------------------------------------------------------------------------
    def _resolve_scope(self, scope_ref: Any, user_id: str,
                       default_project: str | None) -> Scope:
        ident = self.identity
        if scope_ref is None:
            if default_project:
                with self.db.session() as s:
                    try:
                        if ident.assignments.roles_for_scope(s, user_id, "project",
                                                             default_project):
                            return Scope("project", default_project)
                    except ResourceNotFound:
                        pass
            return Scope()
        if scope_ref == "unscoped":
            return Scope()
        if not isinstance(scope_ref, dict):
            raise AuthFailed()
        with self.db.session() as s:
            try:
                if "project" in scope_ref:
                    ref = scope_ref["project"]
                    if ref.get("id"):
                        project = ident.resources.project(s, ref["id"])
                    else:
                        domain = self._domain(s, ref.get("domain") or {})
                        project = ident.resources.project_by_name(s, ref.get("name"), domain.id)
                    return Scope("project", project.id)
                if "domain" in scope_ref:
                    return Scope("domain", self._domain(s, scope_ref["domain"]).id)
                if "system" in scope_ref:
                    if (scope_ref["system"] or {}).get("all") is True:
                        return Scope("system", "all")
            except ResourceNotFound as exc:
                raise AuthFailed(exc.message) from None
        raise AuthFailed()

    def _domain(self, s: Any, ref: dict[str, Any]) -> Any:
        if ref.get("id"):
            return self.identity.resources.domain(s, ref["id"])
        return self.identity.resources.domain_by_name(s, ref.get("name"))

    def _issue(self, data: TokenData) -> tuple[str, ValidatedToken]:
        try:
            return self.identity.tokens.issue(data)
        except TokenNotFound:
            if data.scope.kind:
                raise AuthFailed(f"User {data.user_id} has no access to {data.scope.kind} "
                                 f"{data.scope.id}") from None
            raise AuthFailed() from None


def _trust_requested(scope_ref: Any) -> bool:
    return isinstance(scope_ref, dict) and TRUST_SECTION in scope_ref


def refuse_delegated_rescope(parent: TokenData) -> None:
    """Tokens got by delegation (OAuth, trusts) may not make other tokens (Keystone)."""
    if parent.access_token_id:
        raise ForbiddenTrustAction("Using OAuth-scoped token to create another token. "
                                   "Create a new OAuth-scoped token instead")
    if parent.trust_id:
        raise ForbiddenTrustAction("Using trust-scoped token to create another token. "
                                   "Create a new trust-scoped token instead")
