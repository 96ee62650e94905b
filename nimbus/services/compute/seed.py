"""What ``nimbus up`` makes once: DevStack's flavors. A flavor an operator deletes later stays
deleted (the seeding is recorded, not repeated)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.models.flavors import Flavor, FlavorsSeeded
from nimbus.services.compute.service import compute_of

log = logging.getLogger("nimbus.compute")
SEEDED = "default-flavors"

# (id, name, RAM MiB, vCPUs, disk GB), as DevStack makes them.
DEFAULT_FLAVORS = [
    ("1", "m1.tiny", 512, 1, 1),
    ("2", "m1.small", 2048, 1, 20),
    ("3", "m1.medium", 4096, 2, 40),
    ("4", "m1.large", 8192, 4, 80),
    ("5", "m1.xlarge", 16384, 8, 160),
    ("42", "m1.nano", 128, 1, 1),
    ("84", "m1.micro", 192, 1, 1),
]


def seed_flavors(runtime: Runtime) -> list[str]:
    """Makes the default flavors if this cloud never had them; returns the names made."""
    service = compute_of(runtime)
    with service.db.session() as s:
        if s.get(FlavorsSeeded, SEEDED) is not None:
            return []
        taken = set(s.scalars(select(Flavor.flavorid)).all()) | \
            set(s.scalars(select(Flavor.name)).all())
        s.add(FlavorsSeeded(name=SEEDED))
    made = []
    for flavorid, name, ram, vcpus, disk in DEFAULT_FLAVORS:
        if flavorid in taken or name in taken:
            continue
        service.flavors.create({"flavorid": flavorid, "name": name, "memory_mb": ram,
                                "vcpus": vcpus, "root_gb": disk, "is_public": True})
        made.append(name)
    if made:
        log.info("made the default flavors %s", ", ".join(made))
    return made
