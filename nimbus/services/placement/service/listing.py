"""GET /resource_providers with filters: the providers that have room for ``resources``,
carry the ``required`` traits, sit in the ``member_of`` aggregates and the ``in_tree``
tree."""

from __future__ import annotations

from dataclasses import dataclass, field

from nimbus.kernel.db import Database
from nimbus.services.placement.errors import PlacementBadRequest
from nimbus.services.placement.service.candidates import Snapshot, load_snapshot, provider_of
from nimbus.services.placement.service.catalog import missing_traits, resource_class_exists
from nimbus.services.placement.service.types import Provider


@dataclass
class ProviderFilter:
    uuid: str | None = None
    name: str | None = None
    in_tree: str | None = None
    resources: dict[str, int] = field(default_factory=dict)
    required: list[set[str]] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)
    member_of: list[set[str]] = field(default_factory=list)
    forbidden_aggs: set[str] = field(default_factory=set)


def _passes(snap: Snapshot, pid: int, f: ProviderFilter, tree: int | None) -> bool:
    row = snap.rows[pid]
    if (f.uuid is not None and row.uuid != f.uuid) or (f.name is not None and
                                                        row.name != f.name):
        return False
    if f.in_tree is not None and snap.root(pid) != tree:
        return False
    if not all(snap.fits(pid, rc, n) for rc, n in f.resources.items()):
        return False
    traits = snap.traits.get(pid, set())
    if not all(any_of & traits for any_of in f.required) or f.forbidden & traits:
        return False
    aggs = snap.aggregates.get(pid, set())
    return all(any_of & aggs for any_of in f.member_of) and not f.forbidden_aggs & aggs


def filter_providers(db: Database, f: ProviderFilter) -> list[Provider]:
    with db.session() as s:
        for rc in f.resources:
            if not resource_class_exists(s, rc):
                raise PlacementBadRequest("Invalid resource class in resources parameter: "
                                          f"No such resource class {rc}.")
        missing = missing_traits(s, {t for any_of in f.required for t in any_of} | f.forbidden)
        if missing:
            raise PlacementBadRequest('Invalid trait(s) in "required" parameter: No such '
                                      f"trait(s): {', '.join(missing)}.")
        snap = load_snapshot(s)
    tree = None
    if f.in_tree is not None:
        found = [pid for pid, r in snap.rows.items() if r.uuid == f.in_tree]
        if not found:
            return []
        tree = snap.root(found[0])
    return [provider_of(snap, pid) for pid in snap.rows if _passes(snap, pid, f, tree)]
