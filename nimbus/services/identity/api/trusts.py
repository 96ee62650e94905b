"""Trusts: /v3/OS-TRUST/trusts."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.roles import role_view
from nimbus.services.identity.schemas.trusts import TRUST_CREATE, trust_summary, trust_view
from nimbus.services.identity.service.trusts import refuse_application_credential

# Listing takes one of three rules, by the query (Keystone's); any token reaches the handler.
ANY_TOKEN = "identity:get_auth_catalog"


def enforce(req: ApiRequest, rule: str, target: dict[str, Any]) -> None:
    req.api.enforcer.enforce(rule, req.ctx.policy_credentials(),
                             {**req.path_params, "target": target})


# -- policy targets -----------------------------------------------------------------------
def new_trust_target(req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    validate(TRUST_CREATE, body)
    return {"trust": body["trust"]}


def trust_target(req: ApiRequest) -> dict[str, Any]:
    return identity(req).trusts.target(req.path_params["trust_id"])


# -- handlers -----------------------------------------------------------------------------
def create_trust(req: ApiRequest) -> Reply:
    fields = dict(req.json()["trust"])
    parent = identity(req).trust_tokens.trust_of(req.ctx)
    trust = identity(req).trusts.create(req.ctx, fields, parent, oauth_scoped=_by_oauth(req))
    return Reply({"trust": trust_view(req, trust)}, status=201)


def _by_oauth(req: ApiRequest) -> bool:
    return "oauth1" in req.ctx.methods


def list_trusts(req: ApiRequest) -> dict[str, Any]:
    trustor = req.query.get("trustor_user_id")
    trustee = req.query.get("trustee_user_id")
    if trustor:
        enforce(req, "identity:list_trusts_for_trustor", {"trust": {"trustor_user_id": trustor}})
    elif trustee:
        enforce(req, "identity:list_trusts_for_trustee", {"trust": {"trustee_user_id": trustee}})
    else:
        enforce(req, "identity:list_trusts", {})
    refuse_application_credential(req.ctx)
    rows = identity(req).trusts.list_trusts(trustor, trustee, everything=not req.query)
    return collection(req, "trusts", (trust_summary(req, r) for r in rows))


def get_trust(req: ApiRequest) -> dict[str, Any]:
    refuse_application_credential(req.ctx)
    return {"trust": trust_view(req, identity(req).trusts.get(req.path_params["trust_id"]))}


def delete_trust(req: ApiRequest) -> None:
    identity(req).trusts.delete(req.ctx, req.path_params["trust_id"])


def list_trust_roles(req: ApiRequest) -> dict[str, Any]:
    refuse_application_credential(req.ctx)
    roles = identity(req).trusts.roles_of(req.path_params["trust_id"])
    return {"roles": [role_view(req, r) for r in roles],
            "links": {"self": req.url, "previous": None, "next": None}}


def get_trust_role(req: ApiRequest) -> dict[str, Any]:
    refuse_application_credential(req.ctx)
    role = identity(req).trusts.role_of(req.path_params["trust_id"],
                                        req.path_params["role_id"])
    return {"role": role_view(req, role)}


T = "/v3/OS-TRUST/trusts"
ONE = T + "/{trust_id}"
ROUTES = [
    Route("POST", T, create_trust, "identity:create_trust", new_trust_target),
    Route("GET", T, list_trusts, ANY_TOKEN),
    # tempest's trusts client lists with a trailing slash, which Keystone accepts.
    Route("GET", T + "/", list_trusts, ANY_TOKEN),
    Route("GET", ONE, get_trust, "identity:get_trust", trust_target),
    Route("DELETE", ONE, delete_trust, "identity:delete_trust", trust_target),
    Route("GET", ONE + "/roles", list_trust_roles, "identity:list_roles_for_trust",
          trust_target),
    # HEAD is answered by the GET route, as Keystone's.
    Route("GET", ONE + "/roles/{role_id}", get_trust_role, "identity:get_role_for_trust",
          trust_target),
]
