"""/os-keypairs: create (generate before 2.92, import), list (user_id 2.10, paging 2.35),
show, delete. A user's key pairs are theirs; an admin reaches another's with user_id."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.compute.api.support import (
    at_least,
    authorize,
    isotime,
    next_link,
    service_of,
    strict_query,
    version,
)
from nimbus.services.compute.policies.keypairs import KEYPAIRS
from nimbus.services.compute.schemas import keypairs as schema
from nimbus.services.compute.schemas.common import body_of, int_param

V = "/v2.1"


def _user(req: ApiRequest, op: str, asked: str | None = None) -> str:
    """The user whose key pairs the request is about (``user_id`` from 2.10), authorized."""
    if asked is None and at_least(req, "2.10"):
        asked = req.query.get("user_id")
    user_id = asked or req.ctx.user_id or ""
    authorize(req, KEYPAIRS % op, {"user_id": user_id, "project_id": req.ctx.project_id})
    return user_id


def _brief(req: ApiRequest, key: dict[str, Any]) -> dict[str, Any]:
    out = {"name": key["name"], "public_key": key["public_key"],
           "fingerprint": key["fingerprint"]}
    if at_least(req, "2.2"):
        out["type"] = key["type"]
    return out


def create_keypair(req: ApiRequest) -> Reply:
    doc = body_of(schema.create_for(version(req)), req.json())["keypair"]
    user_id = _user(req, "create", doc.get("user_id"))
    key = service_of(req).keypairs.create(user_id, req.ctx.project_id, doc["name"],
                                          doc.get("type", "ssh"), doc.get("public_key"))
    out = {**_brief(req, key), "user_id": key["user_id"]}
    if "private_key" in key:
        out["private_key"] = key["private_key"]
    return Reply({"keypair": out}, status=201 if at_least(req, "2.2") else 200)


def list_keypairs(req: ApiRequest) -> dict[str, Any]:
    keys = {"user_id"} | ({"limit", "marker"} if at_least(req, "2.35") else set())
    strict_query(req, keys)
    user_id = _user(req, "index")
    limit = int_param(req.query, "limit") if at_least(req, "2.35") else None
    marker = req.query.get("marker") if at_least(req, "2.35") else None
    found = service_of(req).keypairs.list(user_id, limit=limit, marker=marker)
    out: dict[str, Any] = {"keypairs": [{"keypair": _brief(req, k)} for k in found]}
    if limit and len(found) == limit:
        out["keypairs_links"] = [next_link(req, "os-keypairs", found[-1]["name"])]
    return out


def show_keypair(req: ApiRequest) -> dict[str, Any]:
    strict_query(req, {"user_id"})
    user_id = _user(req, "show")
    key = service_of(req).keypairs.get(user_id, req.path_params["name"])
    out = {**_brief(req, key), "user_id": key["user_id"], "id": key["id"],
           "created_at": isotime(key["created_at"]), "deleted": False, "deleted_at": None,
           "updated_at": None}
    return {"keypair": out}


def delete_keypair(req: ApiRequest) -> Reply:
    strict_query(req, {"user_id"})
    user_id = _user(req, "delete")
    service_of(req).keypairs.delete(user_id, req.path_params["name"])
    return Reply(status=204 if at_least(req, "2.2") else 202)


ROUTES = [
    Route("GET", f"{V}/os-keypairs", list_keypairs, "compute_api_any"),
    Route("POST", f"{V}/os-keypairs", create_keypair, "compute_api_any"),
    Route("GET", f"{V}/os-keypairs/{{name}}", show_keypair, "compute_api_any"),
    Route("DELETE", f"{V}/os-keypairs/{{name}}", delete_keypair, "compute_api_any"),
]
