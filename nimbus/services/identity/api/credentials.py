"""Credentials: /v3/credentials and the OS-EC2 keys under /v3/users/{user_id}."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.identity.api.common import identity
from nimbus.services.identity.errors import ForbiddenAction, ResourceNotFound, SchemaError
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.catalog import normalize, split_extra
from nimbus.services.identity.schemas.credentials import (
    CREDENTIAL_COLUMNS,
    CREDENTIAL_CREATE,
    CREDENTIAL_UPDATE,
    EC2_CREATE,
    credential_view,
    ec2_view,
)
from nimbus.services.identity.service.credentials import ec2_id, is_ec2


def not_allowed(action: str) -> ForbiddenAction:
    return ForbiddenAction(f"You are not authorized to perform the requested action: {action}.")


def check_delegation(req: ApiRequest, project_id: str | None) -> None:
    """A token from an application credential reaches only its own project's credentials."""
    if req.ctx.application_credential_id and project_id != req.ctx.project_id:
        raise not_allowed("Credential project does not match the project scope of the "
                          "delegated token")


def check_unrestricted(req: ApiRequest) -> None:
    """A restricted application credential may not mint ec2 keys."""
    app_cred_id = req.ctx.application_credential_id
    if app_cred_id and not identity(req).credentials.app_cred_unrestricted(app_cred_id):
        raise not_allowed("Using method 'application_credential' is not allowed for "
                          "managing additional credentials")


def enforce(req: ApiRequest, rule: str, credential: dict[str, Any]) -> None:
    req.api.enforcer.enforce(rule, req.ctx.policy_credentials(),
                             {**req.path_params, "target": {"credential": credential}})


def may_see(req: ApiRequest, owner: dict[str, Any]) -> bool:
    if req.ctx.application_credential_id and owner["project_id"] != req.ctx.project_id:
        return False
    return req.api.enforcer.authorize("identity:get_credential", req.ctx.policy_credentials(),
                                      {"target": {"credential": owner}})


# -- policy targets -----------------------------------------------------------------------
def credential_target(req: ApiRequest) -> dict[str, Any]:
    owner = identity(req).credentials.owner(req.path_params["credential_id"])
    return {"credential": owner} if owner is not None else {}


def new_credential_target(req: ApiRequest) -> dict[str, Any]:
    return {"credential": req.json_object("credential")}


def list_target(req: ApiRequest) -> dict[str, Any]:
    return {} if req.ctx.system_scope else {"credential": {"user_id": req.ctx.user_id}}


def ec2_target(req: ApiRequest) -> dict[str, Any]:
    cred_id = ec2_id(req.path_params["credential_id"])
    owner = identity(req).credentials.owner(cred_id)
    if owner is None:
        raise ResourceNotFound("credential", cred_id)
    return {"credential": owner}


def ec2_new_target(req: ApiRequest) -> dict[str, Any]:
    return {"credential": {"user_id": req.path_params["user_id"]}}


# -- /v3/credentials ------------------------------------------------------------------------
def create_credential(req: ApiRequest) -> Reply:
    body = normalize(req.json_object("credential"))
    validate(CREDENTIAL_CREATE, body)
    if is_ec2(body["type"]):
        check_unrestricted(req)
    check_delegation(req, body.get("project_id"))
    cred = identity(req).credentials.create_credential(
        split_extra(body, CREDENTIAL_COLUMNS), req.ctx.application_credential_id)
    return Reply({"credential": credential_view(req, cred)}, status=201)


def list_credentials(req: ApiRequest) -> dict[str, Any]:
    creds = identity(req).credentials.list_credentials(
        req.query.get("user_id"), req.query.get("type"), lambda owner: may_see(req, owner))
    return collection(req, "credentials", (credential_view(req, c) for c in creds))


def get_credential(req: ApiRequest) -> dict[str, Any]:
    cred = identity(req).credentials.get_credential(req.path_params["credential_id"])
    check_delegation(req, cred["project_id"])
    return {"credential": credential_view(req, cred)}


def update_credential(req: ApiRequest) -> dict[str, Any]:
    credential_id = req.path_params["credential_id"]
    body = normalize(req.json_object("credential"))
    validate(CREDENTIAL_UPDATE, body)
    if body.get("id") is not None and body["id"] != credential_id:
        raise SchemaError("Cannot change ID")
    credentials = identity(req).credentials
    owner = credentials.owner(credential_id)
    if owner is None:
        raise ResourceNotFound("credential", credential_id)
    check_delegation(req, owner["project_id"])
    merged = {**owner, **{k: v for k, v in body.items() if k != "blob"}}
    enforce(req, "identity:update_credential", merged)
    check_delegation(req, merged.get("project_id"))
    cred = credentials.update_credential(credential_id, split_extra(body, CREDENTIAL_COLUMNS))
    return {"credential": credential_view(req, cred)}


def delete_credential(req: ApiRequest) -> None:
    credentials = identity(req).credentials
    owner = credentials.owner(req.path_params["credential_id"])
    if owner is None:
        raise ResourceNotFound("credential", req.path_params["credential_id"])
    check_delegation(req, owner["project_id"])
    credentials.delete_credential(owner["id"])


# -- OS-EC2 -------------------------------------------------------------------------------
def create_ec2(req: ApiRequest) -> Reply:
    body = req.json_object()
    validate(EC2_CREATE, body)
    check_unrestricted(req)
    check_delegation(req, body["tenant_id"])
    cred = identity(req).credentials.create_ec2(req.path_params["user_id"], body["tenant_id"])
    return Reply({"credential": ec2_view(req, cred)}, status=201)


def list_ec2(req: ApiRequest) -> dict[str, Any]:
    creds = identity(req).credentials.list_ec2(req.path_params["user_id"])
    visible = (c for c in creds if not req.ctx.application_credential_id
               or c["project_id"] == req.ctx.project_id)
    return collection(req, "credentials", (ec2_view(req, c) for c in visible))


def get_ec2(req: ApiRequest) -> dict[str, Any]:
    cred = identity(req).credentials.get_ec2(req.path_params["user_id"],
                                             req.path_params["credential_id"])
    check_delegation(req, cred["project_id"])
    return {"credential": ec2_view(req, cred)}


def delete_ec2(req: ApiRequest) -> None:
    credentials = identity(req).credentials
    cred = credentials.get_ec2(req.path_params["user_id"], req.path_params["credential_id"])
    check_delegation(req, cred["project_id"])
    credentials.delete_credential(cred["id"])


C = "/v3/credentials/{credential_id}"
EC2 = "/v3/users/{user_id}/credentials/OS-EC2"
ROUTES = [
    Route("POST", "/v3/credentials", create_credential, "identity:create_credential",
          new_credential_target),
    Route("GET", "/v3/credentials", list_credentials, "identity:list_credentials", list_target),
    Route("GET", C, get_credential, "identity:get_credential", credential_target),
    Route("PATCH", C, update_credential, "identity:update_credential", credential_target),
    Route("DELETE", C, delete_credential, "identity:delete_credential", credential_target),
    Route("POST", EC2, create_ec2, "identity:ec2_create_credential", ec2_new_target),
    Route("GET", EC2, list_ec2, "identity:ec2_list_credentials"),
    Route("GET", EC2 + "/{credential_id}", get_ec2, "identity:ec2_get_credential", ec2_target),
    Route("DELETE", EC2 + "/{credential_id}", delete_ec2, "identity:ec2_delete_credential",
          ec2_target),
]
