"""Credentials (/v3/credentials and OS-EC2): request schemas and views."""

from __future__ import annotations

import json
from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.schemas import self_link

_PROPS = {
    "blob": {"type": "string"},
    "project_id": {"type": ["string", "null"]},
    "type": {"type": "string"},
    "user_id": {"type": "string"},
}
CREDENTIAL_CREATE = {"type": "object", "properties": {**_PROPS, "id": {"type": "string"}},
                     "required": ["blob", "type", "user_id"]}
CREDENTIAL_UPDATE = {"type": "object", "properties": _PROPS, "minProperties": 1}
EC2_CREATE = {"type": "object", "properties": {"tenant_id": {"type": "string"}},
              "required": ["tenant_id"]}

CREDENTIAL_COLUMNS = ("id", "user_id", "project_id", "type", "blob")


def credential_view(req: ApiRequest, cred: dict[str, Any]) -> dict[str, Any]:
    """``cred`` as the service answers it: the columns, ``blob`` decrypted, ``extra``."""
    return {**(cred.get("extra") or {}), "id": cred["id"], "user_id": cred["user_id"],
            "project_id": cred["project_id"], "type": cred["type"], "blob": cred["blob"],
            "links": self_link(req, "credentials", cred["id"])}


def ec2_view(req: ApiRequest, cred: dict[str, Any]) -> dict[str, Any]:
    """Keystone's OS-EC2 shape of an ec2 credential."""
    try:
        blob = json.loads(cred["blob"])
    except ValueError:
        blob = {}
    if not isinstance(blob, dict):
        blob = {}
    return {"user_id": cred["user_id"], "tenant_id": cred["project_id"],
            "access": blob.get("access"), "secret": blob.get("secret"),
            "trust_id": blob.get("trust_id"),
            "links": self_link(req, "users", cred["user_id"], "credentials", "OS-EC2",
                               str(blob.get("access")))}
