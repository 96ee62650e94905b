"""Domains, projects and tags: request schemas and views."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.models import Project
from nimbus.services.identity.schemas import (
    DESCRIPTION,
    ENABLED,
    ID,
    NAME_64,
    NULLABLE_ID,
    TAG,
    TAGS,
    self_link,
)

# Keystone's resource options: only "immutable" exists for projects and domains.
RESOURCE_OPTIONS = {"type": "object", "properties": {"immutable": {"type": ["boolean", "null"]}},
                    "additionalProperties": False}
OPTIONS = RESOURCE_OPTIONS

_PROJECT_PROPS = {"name": NAME_64, "description": DESCRIPTION, "enabled": ENABLED,
                  "tags": TAGS, "options": OPTIONS, "domain_id": NULLABLE_ID,
                  "parent_id": NULLABLE_ID, "is_domain": {"type": "boolean"}}
PROJECT_CREATE = {"type": "object", "properties": _PROJECT_PROPS, "required": ["name"]}
PROJECT_UPDATE = {"type": "object", "properties": _PROJECT_PROPS, "minProperties": 1}

_DOMAIN_PROPS = {"name": NAME_64, "description": DESCRIPTION, "enabled": ENABLED,
                 "tags": TAGS, "options": OPTIONS, "explicit_domain_id": ID}
DOMAIN_CREATE = {"type": "object", "properties": _DOMAIN_PROPS, "required": ["name"]}
DOMAIN_UPDATE = {"type": "object", "properties": _DOMAIN_PROPS, "minProperties": 1}

TAGS_REPLACE = {"type": "object", "properties": {"tags": TAGS}, "required": ["tags"]}
TAG_NAME = TAG

_KNOWN = set(_PROJECT_PROPS) | set(_DOMAIN_PROPS) | {"id", "links"}


def split_extra(fields: dict[str, Any]) -> dict[str, Any]:
    """Keystone keeps attributes it does not know in ``extra`` and returns them as given."""
    known = {k: v for k, v in fields.items() if k in _KNOWN}
    extra = {k: v for k, v in fields.items() if k not in _KNOWN}
    if extra:
        known["extra"] = extra
    return known


def project_view(req: ApiRequest, p: Project, tags: list[str]) -> dict[str, Any]:
    view = {**(p.extra or {}), "id": p.id, "name": p.name, "domain_id": p.domain_id,
            "description": p.description or "", "enabled": p.enabled,
            "parent_id": p.parent_id, "is_domain": p.is_domain, "tags": tags,
            "options": p.options or {}, "links": self_link(req, "projects", p.id)}
    if p.is_domain:
        view["domain_id"] = None
        view["parent_id"] = None
    return view


def domain_view(req: ApiRequest, d: Project, tags: list[str]) -> dict[str, Any]:
    return {**(d.extra or {}), "id": d.id, "name": d.name,
            "description": d.description or "", "enabled": d.enabled, "tags": tags,
            "options": d.options or {}, "links": self_link(req, "domains", d.id)}
