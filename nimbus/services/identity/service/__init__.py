"""The identity service: one facade over a module per resource family.

Other services call the facade's public methods; never identity's models or tables.
Every write that changes what a token means calls ``common.bump_generation`` in its
transaction.
"""

from __future__ import annotations

from nimbus.kernel.runtime import Runtime
from nimbus.services.identity.service.appcreds import ApplicationCredentials
from nimbus.services.identity.service.assignments import Assignments
from nimbus.services.identity.service.authn import Authenticator
from nimbus.services.identity.service.catalog import Catalog
from nimbus.services.identity.service.credentials import Credentials
from nimbus.services.identity.service.directory import Directory
from nimbus.services.identity.service.domain_config import DomainConfigs
from nimbus.services.identity.service.endpoint_policy import EndpointPolicies
from nimbus.services.identity.service.ep_filter import EndpointFilter
from nimbus.services.identity.service.federation import Federation
from nimbus.services.identity.service.federation.login import FederatedLogin
from nimbus.services.identity.service.groups import Groups
from nimbus.services.identity.service.limits import Limits
from nimbus.services.identity.service.oauth1 import OAuth1
from nimbus.services.identity.service.policies_blob import PolicyBlobs
from nimbus.services.identity.service.resources import DEFAULT_DOMAIN_ID, Resources
from nimbus.services.identity.service.revoke_events import RevokeEvents
from nimbus.services.identity.service.tokens import TokenContexts, Tokens
from nimbus.services.identity.service.trust_tokens import TrustTokens
from nimbus.services.identity.service.trusts import Trusts
from nimbus.services.identity.service.users import Users


class IdentityService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.db = runtime.db
        self.resources = Resources(self)
        self.users = Users(self)
        self.groups = Groups(self)
        self.assignments = Assignments(self)
        self.catalog = Catalog(self)
        self.appcreds = ApplicationCredentials(self)
        self.credentials = Credentials(self)
        self.limits = Limits(self)
        self.tokens = Tokens(self)
        self.token_views = TokenContexts(self)
        self.authn = Authenticator(self)
        self.federation = Federation(self)
        self.federated_login = FederatedLogin(self)
        self.trusts = Trusts(self)
        self.trust_tokens = TrustTokens(self)
        self.oauth1 = OAuth1(self)
        self.domain_configs = DomainConfigs(self)
        self.directory = Directory(self)
        self.ep_filter = EndpointFilter(self)
        self.policy_blobs = PolicyBlobs(self)
        self.revoke_events = RevokeEvents(self)
        self.endpoint_policies = EndpointPolicies(self)

    def tokens_generation(self) -> int:
        """The generation every identity cache is valid for (see common.GenerationCache)."""
        return self.tokens.current_generation()

    def admin_project_id(self) -> str:
        """The bootstrap project (``admin`` in the Default domain), owner of seeded things."""
        with self.db.session() as s:
            return self.resources.project_by_name(s, "admin", DEFAULT_DOMAIN_ID).id


def identity_of(runtime: Runtime) -> IdentityService:
    """The process's identity service, built once."""
    service = runtime.services.get("identity")
    if service is None:
        service = IdentityService(runtime)
        runtime.services["identity"] = service
        runtime.token_validator = service.tokens
    return service
