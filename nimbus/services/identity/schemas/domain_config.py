"""Domain config request bodies: ``{"config": {...}}``, where Keystone judges the groups and
options themselves (403s, in service.domain_config); the envelope alone is checked here."""

from __future__ import annotations

from typing import Any

from nimbus.services.identity.schemas import validate

CONFIG_BODY = {
    "type": "object",
    "properties": {"config": {"type": "object"}},
}


def config_of(body: Any) -> dict[str, Any]:
    """The ``config`` object of a request body; {} when missing, as Keystone reads it."""
    validate(CONFIG_BODY, body)
    return dict(body.get("config") or {})
