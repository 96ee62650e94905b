"""The plain objects the placement service takes and gives (in process and to its API)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

MAX_INT = 0x7FFFFFFF
SQL_SP_FLOAT_MAX = 3.40282e38
INVENTORY_FIELDS = ("total", "reserved", "min_unit", "max_unit", "step_size",
                    "allocation_ratio")
INVENTORY_DEFAULTS: dict[str, Any] = {"reserved": 0, "min_unit": 1, "max_unit": MAX_INT,
                                      "step_size": 1, "allocation_ratio": 1.0}


@dataclass(frozen=True)
class Provider:
    uuid: str
    name: str
    generation: int
    parent_provider_uuid: str | None
    root_provider_uuid: str
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class Inventory:
    resource_class: str
    total: int
    reserved: int = 0
    min_unit: int = 1
    max_unit: int = MAX_INT
    step_size: int = 1
    allocation_ratio: float = 1.0
    updated_at: dt.datetime | None = None

    @property
    def capacity(self) -> int:
        return int((self.total - self.reserved) * self.allocation_ratio)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in INVENTORY_FIELDS}


@dataclass
class RequestGroup:
    """One group of an allocation candidates request. The unsuffixed group
    (``use_same_provider=False``) may spread over a tree and sharing providers; a
    suffixed (granular) group is satisfied by one provider.
    ``required_traits`` is a list of any-of sets: ``[{A}, {B, C}]`` means A and (B or C)."""

    resources: dict[str, int] = field(default_factory=dict)
    required_traits: list[set[str]] = field(default_factory=list)
    forbidden_traits: set[str] = field(default_factory=set)
    member_of: list[set[str]] = field(default_factory=list)
    forbidden_aggs: set[str] = field(default_factory=set)
    in_tree: str | None = None
    use_same_provider: bool = False


@dataclass
class CandidateRequest:
    """What GET /allocation_candidates asks, as a plain object. ``groups`` is keyed by
    suffix ("" for the unsuffixed group)."""

    groups: dict[str, RequestGroup] = field(default_factory=dict)
    limit: int | None = None
    group_policy: str | None = None
    root_required: set[str] = field(default_factory=set)
    root_forbidden: set[str] = field(default_factory=set)
    same_subtrees: list[set[str]] = field(default_factory=list)
    nested_aware: bool = True

    @classmethod
    def simple(cls, resources: dict[str, int], *, required: set[str] | None = None,
               forbidden: set[str] | None = None, member_of: list[set[str]] | None = None,
               in_tree: str | None = None, limit: int | None = None) -> CandidateRequest:
        """The one-group request a scheduler makes for a flavor."""
        group = RequestGroup(resources=dict(resources),
                             required_traits=[{t} for t in sorted(required or ())],
                             forbidden_traits=set(forbidden or ()),
                             member_of=list(member_of or []), in_tree=in_tree)
        return cls(groups={"": group}, limit=limit)


@dataclass(frozen=True)
class AllocationRequest:
    """One way to satisfy a request: {provider uuid: {class: amount}}, and which
    providers served which group (``mappings``, suffix -> provider uuids)."""

    allocations: dict[str, dict[str, int]]
    mappings: dict[str, list[str]]


@dataclass(frozen=True)
class ProviderSummary:
    provider: Provider
    resources: dict[str, dict[str, int]]  # class -> {"capacity": .., "used": ..}
    traits: list[str]


@dataclass(frozen=True)
class Candidates:
    allocation_requests: list[AllocationRequest]
    provider_summaries: dict[str, ProviderSummary]


@dataclass(frozen=True)
class ConsumerAllocations:
    """A consumer's allocations: {provider uuid: {"generation": g, "resources": {..}}}."""

    consumer_uuid: str
    allocations: dict[str, dict[str, Any]]
    project_id: str | None = None
    user_id: str | None = None
    consumer_generation: int | None = None
    consumer_type: str | None = None
    updated_at: dt.datetime | None = None


@dataclass
class ConsumerWrite:
    """New allocations for one consumer (empty ``allocations`` removes them all).
    ``consumer_generation`` None means "a new consumer" when ``check_generation``."""

    consumer_uuid: str
    allocations: dict[str, dict[str, int]]
    project_id: str
    user_id: str
    consumer_generation: int | None = None
    consumer_type: str | None = None
    check_generation: bool = True
