"""/v3/auth: tokens, and what a token may see (catalog, projects, domains, system)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, render_json
from nimbus.services.identity.errors import ForbiddenAction, TokenNotFound
from nimbus.services.identity.schemas import collection, validate
from nimbus.services.identity.schemas.auth import AUTH, check_named_refs, token_view
from nimbus.services.identity.schemas.oauth1 import signed_request
from nimbus.services.identity.schemas.resources import domain_view, project_view
from nimbus.services.identity.service import IdentityService


def _identity(req: ApiRequest) -> IdentityService:
    return req.api.service  # type: ignore[attr-defined, no-any-return]


def _nocatalog(req: ApiRequest) -> bool:
    return "nocatalog" in req.query


def issue_token(req: ApiRequest) -> Reply:
    auth = req.json_object("auth")
    validate(AUTH, auth)
    check_named_refs(auth)
    identity = _identity(req)
    token, validated = identity.authn.authenticate(auth, signed_request(req))
    catalog = None if _nocatalog(req) else identity.catalog.token_catalog(
        validated.ctx.project_id, validated.ctx.user_id)
    return Reply(token_view(validated.body, catalog), status=201,
                 headers={"X-Subject-Token": token})


def _subject(req: ApiRequest) -> Any:
    """The validated subject token, once a request (the target loader and the handler)."""
    found = req.memo.get("identity.subject")
    if found is None:
        subject = req.headers.get("x-subject-token")
        if not subject:
            raise TokenNotFound()
        found = req.memo["identity.subject"] = _identity(req).tokens.validate(subject)
    return found


def subject_target(req: ApiRequest) -> dict[str, Any]:
    """Policy target for token checks: who the subject token belongs to. An invalid or
    revoked subject is a 404 before any policy check, as in Keystone. The user is the one the
    token shows (the trustor of an impersonating trust-scoped token)."""
    return {"token": {"user_id": _subject(req).ctx.user_id}}


def validate_token(req: ApiRequest) -> Reply:
    validated = _subject(req)
    nocatalog = _nocatalog(req)
    answer = validated.answers.get(nocatalog)
    if answer is None:
        catalog = None if nocatalog else _identity(req).catalog.token_catalog(
            validated.ctx.project_id, validated.ctx.user_id)
        answer = validated.answers[nocatalog] = render_json(token_view(validated.body,
                                                                       catalog))
    return Reply(answer, headers={"X-Subject-Token": req.headers["x-subject-token"]})


def check_token(req: ApiRequest) -> Reply:
    _subject(req)
    return Reply(status=200, headers={"X-Subject-Token": req.headers["x-subject-token"]})


def revoke_token(req: ApiRequest) -> None:
    subject = req.headers.get("x-subject-token")
    if not subject:
        raise TokenNotFound()
    _identity(req).tokens.revoke(subject)


def auth_catalog(req: ApiRequest) -> dict[str, Any]:
    if not req.ctx.project_id:
        raise ForbiddenAction("A project-scoped token is required to produce a service "
                              "catalog.")
    return {"catalog": _identity(req).catalog.token_catalog(req.ctx.project_id,
                                                           req.ctx.user_id),
            "links": {"self": req.url, "previous": None, "next": None}}


def _federated_groups(req: ApiRequest) -> tuple[str, ...]:
    """The groups a federated token carries, whose roles count as the user's."""
    if req.ctx.token is None:
        return ()
    federation = _identity(req).tokens.validate(req.ctx.token).data.federation
    return federation.group_ids if federation else ()


def auth_projects(req: ApiRequest) -> dict[str, Any]:
    identity = _identity(req)
    projects = identity.assignments.projects_for_user(req.ctx.user_id, _federated_groups(req))
    return collection(req, "projects", (project_view(req, p, t) for p, t in projects))


def auth_domains(req: ApiRequest) -> dict[str, Any]:
    identity = _identity(req)
    domains = identity.assignments.domains_for_user(req.ctx.user_id, _federated_groups(req))
    return collection(req, "domains", (domain_view(req, d, t) for d, t in domains))


def auth_system(req: ApiRequest) -> dict[str, Any]:
    identity = _identity(req)
    has_system = identity.assignments.has_system_roles(req.ctx.user_id, _federated_groups(req))
    return {"system": [{"all": True}] if has_system else [],
            "links": {"self": req.url, "previous": None, "next": None}}
