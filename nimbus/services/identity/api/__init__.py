"""Identity API v3: the route table (one family per module) and the mount."""

from __future__ import annotations

from nimbus.kernel.errors import keystone_fault
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import Route, ServiceApi
from nimbus.services.identity.api import (
    appcreds,
    assignments,
    auth,
    catalog,
    credentials,
    domain_config,
    endpoint_policy,
    ep_filter,
    federation,
    groups,
    limits,
    oauth1,
    policies_blob,
    resources,
    revoke_events,
    roles,
    trusts,
    users,
    versions,
)
from nimbus.services.identity.api.auth import subject_target
from nimbus.services.identity.policies import RULES
from nimbus.services.identity.service import identity_of

# Every token holder may call these; the handlers limit what they show.
ANY_TOKEN = "identity:get_auth_catalog"

ROUTES: list[Route] = [
    Route("GET", "/", versions.list_versions),
    Route("GET", "/v3", versions.show_v3),
    Route("GET", "/v3/", versions.show_v3),
    Route("POST", "/v3/auth/tokens", auth.issue_token),
    Route("GET", "/v3/auth/tokens", auth.validate_token, "identity:validate_token",
          subject_target, inline=True),
    Route("HEAD", "/v3/auth/tokens", auth.check_token, "identity:check_token", subject_target,
          inline=True),
    Route("DELETE", "/v3/auth/tokens", auth.revoke_token, "identity:revoke_token",
          subject_target),
    Route("GET", "/v3/auth/catalog", auth.auth_catalog, "identity:get_auth_catalog"),
    Route("GET", "/v3/auth/projects", auth.auth_projects, "identity:get_auth_projects"),
    Route("GET", "/v3/auth/domains", auth.auth_domains, "identity:get_auth_domains"),
    Route("GET", "/v3/auth/system", auth.auth_system, "identity:get_auth_system"),
    *resources.ROUTES,
    *users.ROUTES,
    *groups.ROUTES,
    *roles.ROUTES,
    *assignments.ROUTES,
    *catalog.ROUTES,
    *appcreds.ROUTES,
    *credentials.ROUTES,
    *limits.ROUTES,
    *federation.ROUTES,
    *trusts.ROUTES,
    *oauth1.ROUTES,
    *domain_config.ROUTES,
    *ep_filter.ROUTES,
    *policies_blob.ROUTES,
    *revoke_events.ROUTES,
    *endpoint_policy.ROUTES,
]


def build_api(runtime: Runtime) -> ServiceApi:
    settings = runtime.settings
    api = ServiceApi(
        "identity", "/identity", ROUTES,
        enforcer=Enforcer(RULES, settings.policy_file("identity")),
        fault_format=keystone_fault, validator=runtime.token_validator,
        public_url=settings.effective_public_url,
        max_body=settings.max_request_body_size,
        extra_headers={"Vary": "X-Auth-Token"},
    )
    api.service = identity_of(runtime)  # type: ignore[attr-defined]
    api.validator = runtime.token_validator
    return api
