"""OS-REVOKE: the revocation events Keystone records, kept as a list for clients that read
them. Tokens are judged by the checks in tokens.py; these rows only report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.identity.models import RevocationEvent
from nimbus.services.identity.service.common import isotime

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService

# Keystone's [revoke] expiration_buffer: events outlive the tokens they revoke by this much.
EXPIRATION_BUFFER = dt.timedelta(seconds=1800)
EVENT_FIELDS = ("domain_id", "project_id", "user_id", "role_id", "trust_id", "consumer_id",
                "access_token_id", "audit_id", "audit_chain_id", "expires_at",
                "issued_before")
_PLAIN_KEYS = ("user_id", "role_id", "domain_id", "project_id", "audit_id", "audit_chain_id")
_PREFIXED_KEYS = (("trust_id", "OS-TRUST:trust_id"), ("consumer_id", "OS-OAUTH1:consumer_id"),
                  ("access_token_id", "OS-OAUTH1:access_token_id"))


def event_view(event: RevocationEvent) -> dict[str, Any]:
    """Keystone's RevokeEvent.to_dict: only the attributes the event has."""
    view: dict[str, Any] = {k: getattr(event, k) for k in _PLAIN_KEYS
                            if getattr(event, k) is not None}
    for column, key in _PREFIXED_KEYS:
        if getattr(event, column) is not None:
            view[key] = getattr(event, column)
    if event.expires_at is not None:
        view["expires_at"] = isotime(event.expires_at, subsecond=False)
    view["issued_before"] = isotime(event.issued_before)
    view["revoked_at"] = isotime(event.revoked_at)
    return view


class RevokeEvents:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    def record(self, s: Session, **fields: Any) -> None:
        """Add an event in the caller's transaction; events past any token's life go."""
        unknown = set(fields) - set(EVENT_FIELDS)
        if unknown:
            raise TypeError(f"not revocation event fields: {sorted(unknown)}")
        now = utcnow().replace(microsecond=0)
        lifetime = dt.timedelta(seconds=self.identity.settings.token_expiration)
        s.execute(delete(RevocationEvent)
                  .where(RevocationEvent.revoked_at < now - lifetime - EXPIRATION_BUFFER))
        if fields.get("expires_at") is not None:
            fields["expires_at"] = fields["expires_at"].replace(microsecond=0)
        fields.setdefault("issued_before", now)
        s.add(RevocationEvent(revoked_at=now, **fields))

    def for_user(self, s: Session, user_id: str) -> None:
        self.record(s, user_id=user_id)

    def list_events(self, since: dt.datetime | None = None) -> list[RevocationEvent]:
        with self.db.session() as s:
            q = select(RevocationEvent).order_by(RevocationEvent.revoked_at,
                                                 RevocationEvent.id)
            if since is not None:
                q = q.where(RevocationEvent.revoked_at > since)
            return list(s.scalars(q))
