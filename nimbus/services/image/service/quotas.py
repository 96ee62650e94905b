"""Per-project quotas through identity's unified limits, with Glance's resource names.

Sizes count in MiB as Glance counts them: a project is over ``image_size_total`` when its
stored bytes plus the new ones, floored to MiB, pass the limit. No limit means no quota.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nimbus.services.image.errors import OverLimit
from nimbus.services.image.models import Image
from nimbus.services.image.service.pipeline import Budget

MIB = 1 << 20
SIZE_TOTAL = "image_size_total"
STAGE_TOTAL = "image_stage_total"
COUNT_TOTAL = "image_count_total"
COUNT_UPLOADING = "image_count_uploading"
RESOURCES = (SIZE_TOTAL, STAGE_TOTAL, COUNT_TOTAL, COUNT_UPLOADING)
GONE = ("killed", "deleted", "pending_delete")
UPLOADING = ("saving", "uploading", "importing")
STAGING = ("uploading", "importing")

LimitLookup = Callable[[str, str], int | None]


def no_limits(_project_id: str, _resource: str) -> int | None:
    return None


def identity_limits(runtime: Any) -> LimitLookup:
    """Limits read from the identity service's unified limits, for service type image."""

    def lookup(project_id: str, resource: str) -> int | None:
        from nimbus.services.identity.service import identity_of

        limits = getattr(identity_of(runtime), "limits", None)
        effective = getattr(limits, "effective_limit", None)
        return None if effective is None else effective(project_id, "image", resource)

    return lookup


class Quotas:
    def __init__(self, limits: LimitLookup) -> None:
        self.limits = limits

    def usage(self, s: Session, project_id: str, resource: str) -> int:
        """Bytes for the size resources, images for the counts."""
        owned = Image.owner == project_id
        if resource == SIZE_TOTAL:
            query = select(func.coalesce(func.sum(Image.size), 0)).where(
                owned, Image.location.is_not(None), Image.status.not_in(GONE))
        elif resource == STAGE_TOTAL:
            query = select(func.coalesce(func.sum(Image.size), 0)).where(
                owned, Image.status.in_(STAGING))
        elif resource == COUNT_TOTAL:
            query = select(func.count()).where(owned, Image.status.not_in(GONE))
        else:
            query = select(func.count()).where(owned, Image.status.in_(UPLOADING))
        return int(s.scalar(query) or 0)

    def limit(self, project_id: str | None, resource: str) -> int | None:
        return None if project_id is None else self.limits(project_id, resource)

    def enforce(self, s: Session, project_id: str | None, resource: str, delta: int = 0
                ) -> None:
        """Refuse (413) when usage plus ``delta`` (MiB or images) passes the limit."""
        limit = self.limit(project_id, resource)
        if limit is None or project_id is None:
            return
        used = self.usage(s, project_id, resource)
        if resource in (SIZE_TOTAL, STAGE_TOTAL):
            used //= MIB
        if used + delta > limit:
            raise over_quota(project_id, resource, limit, used, delta)

    def budget(self, s: Session, project_id: str | None, resource: str) -> Budget | None:
        """The bytes the project may still add before passing ``resource``, for a stream
        whose size nobody announced."""
        limit = self.limit(project_id, resource)
        if limit is None or project_id is None:
            return None
        used = self.usage(s, project_id, resource)
        return Budget(max((limit + 1) * MIB - 1 - used, 0),
                      lambda: over_quota(project_id, resource, limit, used // MIB, 1))

    def report(self, s: Session, project_id: str) -> dict[str, dict[str, int]]:
        """GET /v2/info/usage; an unlimited resource shows limit -1."""
        out = {}
        for resource in RESOURCES:
            used = self.usage(s, project_id, resource)
            if resource in (SIZE_TOTAL, STAGE_TOTAL):
                used //= MIB
            limit = self.limit(project_id, resource)
            out[resource] = {"limit": -1 if limit is None else limit, "usage": used}
        return out


def over_quota(project_id: str, resource: str, limit: int, used: int, delta: int
               ) -> OverLimit:
    return OverLimit(
        "The request returned a 413 Request Entity Too Large. This generally means that "
        "rate limiting or a quota threshold was breached.\n\nThe response body:\n"
        f"Project {project_id} is over a limit for [Resource {resource} is over limit of "
        f"{limit} due to current usage {used} and delta {delta}]")
