"""What every resource store shares: the database, the settings, the notifier that tells
agents something moved, and hooks other families add (a port's delete cleaning its
floating IPs, say)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import Database

if TYPE_CHECKING:
    from nimbus.config import NetworkSettings

# (session, resource kind, id) -> None; raises to refuse.
DeleteHook = Callable[[Any, str, str], None]


def caller_is_admin(ctx: RequestContext) -> bool:
    return ctx.has_role("admin")


class ResourceStore:
    resource_type = ""

    def __init__(self, db: Database, options: NetworkSettings,
                 changed: Callable[..., None], services: Any) -> None:
        self.db = db
        self.options = options
        self.changed = changed
        # The whole facade, for stores that need another (ports need subnets' IPAM).
        self.services = services
        self.before_delete: list[DeleteHook] = []
        # (session, row, values) after a create or update: other families' attributes.
        self.after_write: list[Callable[[Any, Any, dict[str, Any]], None]] = []
        # (session, rows) -> {id: {attr: value}}: other families' attributes in answers.
        self.render_hooks: list[Callable[[Any, list[Any]], dict[str, dict[str, Any]]]] = []

    @property
    def allocator(self) -> Any:
        return self.services.segments
