"""Applying JSON-patch changes to an image, by Glance's rules for each operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nimbus.services.image.errors import Conflict, Forbidden
from nimbus.services.image.models import Image
from nimbus.services.image.schemas.image import CORE_ATTRIBUTES, check_numbers
from nimbus.services.image.schemas.patch import Change

FORMAT_ATTRIBUTES = ("disk_format", "container_format")
FORMAT_STATUSES = ("queued", "importing")
LOCATIONS_HIDDEN = "It's not allowed to {} locations if locations are invisible."


@dataclass
class Draft:
    """An image's changeable state, edited in memory and written back at once."""

    status: str
    core: dict[str, Any]
    extra: dict[str, str]
    tags: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, row: Image, properties: dict[str, str], tags: list[str]) -> Draft:
        core = {name: getattr(row, name) for name in CORE_ATTRIBUTES if name != "tags"}
        return cls(row.status, core, dict(properties), list(tags))

    def has(self, name: str) -> bool:
        return name in CORE_ATTRIBUTES

    def set_core(self, name: str, value: Any) -> None:
        if name in FORMAT_ATTRIBUTES and self.status not in FORMAT_STATUSES:
            raise Forbidden(f"Attribute {name} can be only replaced for a queued image.")
        if name == "tags":
            self.tags = list(dict.fromkeys(value))
            return
        self.core[name] = value
        check_numbers(self.core)


def apply_changes(draft: Draft, changes: list[Change], caller_is_admin: bool) -> None:
    for change in changes:
        if change.path == "locations":
            verb = {"replace": "update", "add": "add", "remove": "remove"}[change.op]
            if change.op == "replace" and not change.value:
                raise Forbidden("Cannot set locations to empty list.")
            raise Forbidden(LOCATIONS_HIDDEN.format(verb))
        if change.op == "replace":
            _replace(draft, change, caller_is_admin)
        elif change.op == "add":
            _add(draft, change, caller_is_admin)
        else:
            _remove(draft, change)


def _replace(draft: Draft, change: Change, caller_is_admin: bool) -> None:
    name = change.path
    if name == "owner" and not caller_is_admin:
        raise Forbidden("Owner can't be updated by non admin.")
    if draft.has(name):
        draft.set_core(name, change.value)
    elif name in draft.extra:
        draft.extra[name] = change.value
    else:
        raise Conflict(f"Property {name} does not exist.")


def _add(draft: Draft, change: Change, caller_is_admin: bool) -> None:
    name = change.path
    if name == "owner" and not caller_is_admin:
        raise Forbidden("Owner can't be updated by non admin.")
    if change.strict_add and (draft.has(name) or name in draft.extra):
        raise Conflict(f"Property {name} already present.")
    if draft.has(name):
        draft.set_core(name, change.value)
    else:
        draft.extra[name] = change.value


def _remove(draft: Draft, change: Change) -> None:
    name = change.path
    if draft.has(name):
        raise Forbidden(f"Property {name} may not be removed.")
    if name not in draft.extra:
        raise Conflict(f"Property {name} does not exist.")
    del draft.extra[name]


def visibility_changes(changes: list[Change]) -> list[str]:
    """The visibilities a patch asks for (each needs its own policy check)."""
    return [c.value for c in changes if c.path == "visibility" and c.op != "remove"]
