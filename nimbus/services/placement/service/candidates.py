"""Allocation candidates: every way the providers can satisfy a request right now.

The providers, their inventories with usage, traits and aggregates are read in one go
(a few queries), then worked out in memory tree by tree: the unsuffixed group may spread
over the providers of one tree and the sharing providers (``MISC_SHARES_VIA_AGGREGATE``)
that share an aggregate with it; a suffixed group takes one provider; the groups combine
when their amounts fit together, under group_policy, root_required and same_subtree.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database
from nimbus.services.placement.errors import PlacementBadRequest
from nimbus.services.placement.models.core import (
    Allocation,
    Inventory,
    ProviderAggregate,
    ProviderTrait,
    ResourceProvider,
)
from nimbus.services.placement.service.catalog import (
    missing_traits,
    resource_class_exists,
    trait_order,
)
from nimbus.services.placement.service.types import (
    AllocationRequest,
    CandidateRequest,
    Candidates,
    Provider,
    ProviderSummary,
    RequestGroup,
)

SHARES = "MISC_SHARES_VIA_AGGREGATE"
# Bounds on the work one request may do (a request with many groups over big trees).
MAX_RESULTS = 10000
MAX_COMBINATIONS = 200000

# One group's way: {provider id: {class: amount}} and the providers it names.
Way = tuple[dict[int, dict[str, int]], tuple[int, ...]]


class TooMuchWork(Exception):
    """The request went past MAX_COMBINATIONS: answer with what was found so far."""


@dataclass
class Snapshot:
    rows: dict[int, ResourceProvider]
    inventories: dict[int, dict[str, Inventory]] = field(default_factory=dict)
    used: dict[tuple[int, str], int] = field(default_factory=dict)
    traits: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    aggregates: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))

    def free(self, pid: int, rc: str) -> int:
        inv = self.inventories.get(pid, {}).get(rc)
        if inv is None:
            return -1
        capacity = int((inv.total - inv.reserved) * inv.allocation_ratio)
        return capacity - self.used.get((pid, rc), 0)

    def fits(self, pid: int, rc: str, amount: int) -> bool:
        inv = self.inventories.get(pid, {}).get(rc)
        if inv is None or amount < inv.min_unit or amount > inv.max_unit:
            return False
        return amount % inv.step_size == 0 and self.free(pid, rc) >= amount

    def root(self, pid: int) -> int:
        return self.rows[pid].root_id or pid

    def ancestors(self, pid: int) -> list[int]:
        out = [pid]
        for _depth in range(64):
            parent = self.rows[out[-1]].parent_id
            if parent is None:
                break
            out.append(parent)
        return out


def load_snapshot(s: Session) -> Snapshot:
    snap = Snapshot(rows={r.id: r for r in s.scalars(select(ResourceProvider)
                                                         .order_by(ResourceProvider.id))})
    for inv in s.scalars(select(Inventory)):
        snap.inventories.setdefault(inv.provider_id, {})[inv.resource_class] = inv
    for pid, rc, used in s.execute(select(Allocation.provider_id, Allocation.resource_class,
                                          func.sum(Allocation.used))
                                   .group_by(Allocation.provider_id,
                                             Allocation.resource_class)):
        snap.used[(pid, rc)] = int(used or 0)
    for pid, trait in s.execute(select(ProviderTrait.provider_id, ProviderTrait.trait)):
        snap.traits[pid].add(trait)
    for pid, agg in s.execute(select(ProviderAggregate.provider_id,
                                     ProviderAggregate.aggregate)):
        snap.aggregates[pid].add(agg)
    return snap


def _traits_ok(traits: set[str], group: RequestGroup) -> bool:
    return all(any_of & traits for any_of in group.required_traits) \
        and not (group.forbidden_traits & traits)


def _member_ok(snap: Snapshot, pid: int, group: RequestGroup) -> bool:
    """A granular group's provider must be in the aggregates itself; for the unsuffixed
    group its root's aggregates span the whole tree."""
    aggs = set(snap.aggregates.get(pid, set()))
    if not group.use_same_provider:
        aggs |= snap.aggregates.get(snap.root(pid), set())
    return all(any_of & aggs for any_of in group.member_of) \
        and not (group.forbidden_aggs & aggs)


class Search:
    """One request against one snapshot."""

    def __init__(self, snap: Snapshot, req: CandidateRequest) -> None:
        self.snap = snap
        self.req = req
        self.sharing = [pid for pid in snap.rows if SHARES in snap.traits.get(pid, set())]
        self.trees: dict[int, list[int]] = defaultdict(list)
        for pid in snap.rows:
            self.trees[snap.root(pid)].append(pid)
        self.anchor_of: dict[str, int | None] = {}
        for g in req.groups.values():
            if g.in_tree is not None:
                found = [p for p, r in snap.rows.items() if r.uuid == g.in_tree]
                self.anchor_of[g.in_tree] = snap.root(found[0]) if found else None
        self.combinations = 0

    def pool(self, root: int) -> list[int]:
        mine = self.trees[root]
        tree_aggs = set().union(*(self.snap.aggregates.get(p, set()) for p in mine))
        shared = [p for p in self.sharing if self.snap.root(p) != root
                  and self.snap.aggregates.get(p, set()) & tree_aggs]
        return mine + shared

    def group_pool(self, pool: list[int], group: RequestGroup) -> list[int]:
        if group.in_tree is None:
            return pool
        anchor = self.anchor_of.get(group.in_tree)
        return [p for p in pool if self.snap.root(p) == anchor]

    def granular_ways(self, pool: list[int], group: RequestGroup, root: int) -> list[Way]:
        ways: list[Way] = []
        if not group.resources:  # resourceless (same_subtree): a provider of the tree
            return [({}, (p,)) for p in self.trees[root]
                    if _traits_ok(self.snap.traits.get(p, set()), group)]
        for p in pool:
            if all(self.snap.fits(p, rc, n) for rc, n in group.resources.items()) \
                    and _traits_ok(self.snap.traits.get(p, set()), group) \
                    and _member_ok(self.snap, p, group):
                ways.append(({p: dict(group.resources)}, (p,)))
        return ways

    def spread_ways(self, pool: list[int], group: RequestGroup) -> list[Way]:
        per_class = []
        for rc, n in group.resources.items():
            options = [p for p in pool if self.snap.fits(p, rc, n)
                       and not (group.forbidden_traits & self.snap.traits.get(p, set()))
                       and _member_ok(self.snap, p, group)]
            if not options:
                return []
            per_class.append([(p, rc, n) for p in options])
        ways: list[Way] = []
        for combo in itertools.product(*per_class):
            self._count()
            alloc: dict[int, dict[str, int]] = defaultdict(dict)
            for p, rc, n in combo:
                alloc[p][rc] = n
            traits = set().union(*(self.snap.traits.get(p, set()) for p in alloc))
            if _traits_ok(traits, group):
                ways.append((dict(alloc), tuple(alloc)))
        return ways

    def _count(self) -> None:
        self.combinations += 1
        if self.combinations > MAX_COMBINATIONS:
            raise TooMuchWork()

    def tree_results(self, root: int) -> Iterator[tuple[dict[int, dict[str, int]],
                                                        dict[str, list[int]]]]:
        if not self._root_ok(root):
            return
        pool = self.pool(root)
        per_group: list[tuple[str, list[Way]]] = []
        for suffix, group in self.req.groups.items():
            gpool = self.group_pool(pool, group)
            ways = self.granular_ways(gpool, group, root) if group.use_same_provider \
                else self.spread_ways(gpool, group)
            if not ways:
                return
            per_group.append((suffix, ways))
        suffixes = [sfx for sfx, _w in per_group]
        for choice in itertools.product(*(ways for _s, ways in per_group)):
            self._count()
            merged = self._merge(choice)
            if merged is None or not self._policy_ok(suffixes, choice):
                continue
            yield merged, {sfx: list(way[1]) for sfx, way in zip(suffixes, choice,
                                                                   strict=True)}

    def _root_ok(self, root: int) -> bool:
        traits = self.snap.traits.get(root, set())
        return self.req.root_required <= traits and not (self.req.root_forbidden & traits)

    def _merge(self, choice: tuple[Way, ...]) -> dict[int, dict[str, int]] | None:
        merged: dict[int, dict[str, int]] = defaultdict(dict)
        for alloc, _providers in choice:
            for p, res in alloc.items():
                for rc, n in res.items():
                    merged[p][rc] = merged[p].get(rc, 0) + n
        for p, res in merged.items():
            for rc, n in res.items():
                if self.snap.free(p, rc) < n or n > self.snap.inventories[p][rc].max_unit:
                    return None
        return dict(merged)

    def _policy_ok(self, suffixes: list[str], choice: tuple[Way, ...]) -> bool:
        by_suffix = dict(zip(suffixes, choice, strict=True))
        if self.req.group_policy == "isolate":
            used = [way[1][0] for sfx, way in by_suffix.items()
                    if self.req.groups[sfx].use_same_provider]
            if len(used) != len(set(used)):
                return False
        for subtree in self.req.same_subtrees:
            chosen = {p for sfx in subtree if sfx in by_suffix for p in by_suffix[sfx][1]}
            if not any(all(top in self.snap.ancestors(p) for p in chosen) for top in chosen):
                return False
        return True

    def _flat(self, merged: dict[int, dict[str, int]]) -> bool:
        """Before 1.29 a request may take from one provider of each tree only."""
        roots = [self.snap.root(p) for p in merged]
        return len(roots) == len(set(roots))

    def run(self) -> list[tuple[dict[int, dict[str, int]], dict[str, list[int]]]]:
        seen: set[tuple[object, ...]] = set()
        found = []
        try:
            for root in sorted(self.trees):
                for merged, mappings in self.tree_results(root):
                    key = (tuple(sorted((p, rc, n) for p, res in merged.items()
                                        for rc, n in res.items())),
                           tuple(sorted((s, tuple(sorted(ps))) for s, ps in mappings.items())))
                    if key in seen:  # a sharing provider alone, reached from two trees
                        continue
                    if not self.req.nested_aware and not self._flat(merged):
                        continue
                    seen.add(key)
                    found.append((merged, mappings))
                    if len(found) >= (self.req.limit or MAX_RESULTS):
                        return found
        except TooMuchWork:
            pass
        return found


def provider_of(snap: Snapshot, pid: int) -> Provider:
    row = snap.rows[pid]
    parent = snap.rows[row.parent_id].uuid if row.parent_id in snap.rows else None
    return Provider(uuid=row.uuid, name=row.name, generation=row.generation,
                    parent_provider_uuid=parent,
                    root_provider_uuid=snap.rows[snap.root(pid)].uuid,
                    created_at=row.created_at, updated_at=row.updated_at)


def _summary(snap: Snapshot, pid: int) -> ProviderSummary:
    resources = {}
    for rc, inv in sorted(snap.inventories.get(pid, {}).items()):
        resources[rc] = {"capacity": int((inv.total - inv.reserved) * inv.allocation_ratio),
                         "used": snap.used.get((pid, rc), 0)}
    return ProviderSummary(provider_of(snap, pid), resources,
                           trait_order(snap.traits.get(pid, set())))


def validate_names(s: Session, req: CandidateRequest) -> None:
    classes = sorted({rc for g in req.groups.values() for rc in g.resources})
    for rc in classes:
        if not resource_class_exists(s, rc):
            raise PlacementBadRequest("Invalid resource class in resources parameter: No "
                                      f"such resource class {rc}.")
    traits = {t for g in req.groups.values() for any_of in g.required_traits for t in any_of}
    traits |= {t for g in req.groups.values() for t in g.forbidden_traits}
    traits |= req.root_required | req.root_forbidden
    missing = missing_traits(s, traits)
    if missing:
        raise PlacementBadRequest(f"No such trait(s): {', '.join(missing)}.")


class CandidateFinder:
    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, req: CandidateRequest) -> Candidates:
        with self.db.session() as s:
            validate_names(s, req)
            snap = load_snapshot(s)
        found = Search(snap, req).run()
        requests = []
        involved: list[int] = []
        for merged, mappings in found:
            uuid = {p: snap.rows[p].uuid for p in merged}
            requests.append(AllocationRequest(
                allocations={uuid[p]: dict(res) for p, res in merged.items()},
                mappings={sfx: [snap.rows[p].uuid for p in ps]
                          for sfx, ps in mappings.items()}))
            involved.extend(merged)
            involved.extend(p for ps in mappings.values() for p in ps)
        summaries: dict[str, ProviderSummary] = {}
        roots = {snap.root(p) for p in involved}
        # From 1.29 the summaries cover every provider of the trees the answers use.
        tree_members = [p for p in snap.rows if snap.root(p) in roots] \
            if req.nested_aware else []
        for pid in dict.fromkeys([*involved, *tree_members]):
            summaries[snap.rows[pid].uuid] = _summary(snap, pid)
        return Candidates(requests, summaries)
