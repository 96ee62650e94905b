"""Application credentials and access rules (being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nimbus.services.identity.errors import AuthFailed

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService


class ApplicationCredentials:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    def authenticate(self, ref: dict[str, Any]) -> Any:
        raise AuthFailed()

    def restrict_token(self, s: Any, data: Any, roles: list[Any]) -> tuple[list[Any], dict]:
        return [], {}
