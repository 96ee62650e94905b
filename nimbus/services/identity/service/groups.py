"""Groups and their members (being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService


class Groups:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db
