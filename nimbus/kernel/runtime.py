"""What one Nimbus process holds: its settings, its database, and the services built on them."""

from __future__ import annotations

import logging
from typing import Any

from nimbus.config import Settings
from nimbus.kernel.auth import NoValidator, TokenValidator
from nimbus.kernel.db import Database

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.effective_database_url)
        # Service facades by name ("identity": IdentityService, ...), set as each is built.
        self.services: dict[str, Any] = {}
        # The identity service installs the validator every API uses.
        self.token_validator: TokenValidator = NoValidator()

    def close(self) -> None:
        self.db.dispose()
