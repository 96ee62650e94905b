"""Changing the ring as swift-ring-builder does: devices are added (with a weight and a
zone), drained and removed, the replica count is set, and ``rebalance`` assigns partitions
with the least movement: a partition replica stays where it is unless its device went, the
partition holds more replicas than wanted, two of its replicas share a zone while there
are zones enough for all, or its device holds more than its weight's share;
only the slots so freed are dealt again, to the devices furthest below their share, in a
zone the partition does not use yet where there is one.

Workers read the ring once: a changed ring takes effect when the cloud restarts, and the
replicator then moves what sits on devices that are no longer a partition's (handoffs).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from pathlib import Path

from nimbus.services.object.ring import Device, Ring


class RingError(ValueError):
    pass


def assigned_ids(ring: Ring) -> list[list[int]]:
    """Each partition's device ids as stored (or as an older ring deals them)."""
    if ring.assignment:
        return [list(p) for p in ring.assignment]
    n = len(ring.devices)
    count = min(ring.replicas, n)
    return [[ring.devices[(p + r) % n].id for r in range(count)]
            for p in range(ring.partitions)]


def _pinned(ring: Ring) -> Ring:
    """The ring with its assignment written out, so device changes do not move it."""
    return dataclasses.replace(ring, assignment=tuple(tuple(p) for p in assigned_ids(ring)))


def add_device(ring: Ring, path: str, weight: float = 1.0, zone: int = 0) -> Ring:
    resolved = str(Path(path).expanduser().absolute())
    if any(d.path == resolved for d in ring.devices):
        raise RingError(f"device {resolved} is already in the ring")
    if weight < 0:
        raise RingError("a weight is 0 or more")
    new_id = max((d.id for d in ring.devices), default=-1) + 1
    ring = _pinned(ring)
    return dataclasses.replace(ring, devices=ring.devices + (
        Device(new_id, resolved, float(weight), int(zone)),))


def remove_device(ring: Ring, device_id: int) -> tuple[Ring, str]:
    """A device with a weight is drained first (weight 0: the next rebalance moves its
    partitions away, the replicator its objects); a drained device without partitions goes."""
    found = [d for d in ring.devices if d.id == device_id]
    if not found:
        raise RingError(f"no device {device_id}")
    ring = _pinned(ring)
    device = found[0]
    if device.weight > 0:
        devices = tuple(dataclasses.replace(d, weight=0.0) if d.id == device_id else d
                        for d in ring.devices)
        return dataclasses.replace(ring, devices=devices), "drained"
    if any(device_id in p for p in ring.assignment):
        raise RingError(f"device {device_id} still holds partitions: rebalance first")
    return dataclasses.replace(ring, devices=tuple(
        d for d in ring.devices if d.id != device_id)), "removed"


def set_replicas(ring: Ring, replicas: int) -> Ring:
    if replicas < 1:
        raise RingError("the replica count is 1 or more")
    return dataclasses.replace(_pinned(ring), replicas=replicas)


def rebalance(ring: Ring) -> tuple[Ring, int]:
    """(the rebalanced ring, how many partition replicas moved)."""
    weights = {d.id: d.weight for d in ring.devices if d.weight > 0}
    if not weights:
        raise RingError("no device with a weight")
    zone = {d.id: d.zone for d in ring.devices}
    slots = min(ring.replicas, len(weights))
    want = _targets(weights, ring.partitions * slots)
    old = assigned_ids(ring)
    spread = len({zone[i] for i in weights}) >= slots
    new = [_kept(part, weights, slots, zone if spread else None) for part in old]
    counts = Counter(i for part in new for i in part)
    for dev in weights:
        _shed(new, counts, dev, want[dev], zone, slots)
    for part in new:
        while len(part) < slots:
            zones = {zone[i] for i in part}
            choice = min((i for i in weights if i not in part),
                         key=lambda i: (zone[i] in zones, counts[i] - want[i], i))
            part.append(choice)
            counts[choice] += 1
    moved = sum(len(set(n) - set(o)) for o, n in zip(old, new, strict=True))
    return dataclasses.replace(ring, assignment=tuple(tuple(p) for p in new)), moved


def _kept(part: list[int], weights: dict[int, float], slots: int,
          zone: dict[int, int] | None) -> list[int]:
    """What stays of a partition: devices still weighted, once each, within the replica
    count, and (with ``zone``: when there are zones enough) one a zone."""
    kept: list[int] = []
    for i in part:
        if i in weights and i not in kept and len(kept) < slots and \
                (zone is None or zone[i] not in {zone[k] for k in kept}):
            kept.append(i)
    return kept


def _targets(weights: dict[int, float], total_slots: int) -> dict[int, int]:
    """Each device's whole share of the slots by weight (largest remainders round up)."""
    total = sum(weights.values())
    exact = {i: total_slots * w / total for i, w in weights.items()}
    out = {i: math.floor(x) for i, x in exact.items()}
    spare = total_slots - sum(out.values())
    for i in sorted(exact, key=lambda i: (out[i] - exact[i], i))[:spare]:
        out[i] += 1
    return out


def _shed(new: list[list[int]], counts: Counter[int], dev: int, limit: int,
          zone: dict[int, int], slots: int) -> None:
    """Free ``dev``'s slots above ``limit``: partitions where its zone repeats first, and
    partitions that have not lost a replica already (one move a partition)."""
    excess = counts[dev] - limit
    if excess <= 0:
        return
    def repeats(part: list[int]) -> bool:
        return sum(zone[i] == zone[dev] for i in part) > 1
    holding = [p for p, part in enumerate(new) if dev in part]
    holding.sort(key=lambda p: (not repeats(new[p]), len(new[p]) < slots))
    for p in holding[:excess]:
        new[p].remove(dev)
        counts[dev] -= 1
