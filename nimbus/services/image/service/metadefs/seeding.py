"""Seeding the standard namespaces: each once per cloud, so an operator's changes (and
deletions) survive restarts, and a namespace added in a later release still arrives."""

from __future__ import annotations

import copy
import logging

from sqlalchemy import select

from nimbus.kernel.db import Database, utcnow
from nimbus.services.image.metadefs import standard_namespaces
from nimbus.services.image.models import MetadefNamespace, MetadefSeeded
from nimbus.services.image.service.metadefs.access import new_id
from nimbus.services.image.service.metadefs.contents import fill_namespace

log = logging.getLogger(__name__)

# Glance's loader gives its standard namespaces this owner.
SEED_OWNER = "admin"


def seed_standard_namespaces(db: Database) -> list[str]:
    """Creates the standard namespaces never seeded before; returns their names."""
    with db.session() as s:
        done = set(s.scalars(select(MetadefSeeded.namespace)))
        present = set(s.scalars(select(MetadefNamespace.namespace)))
        added: list[str] = []
        for entry in standard_namespaces():
            name = entry["namespace"]
            if name in done:
                continue
            now = utcnow()
            if name not in present:
                row = MetadefNamespace(
                    id=new_id(), namespace=name, display_name=entry["display_name"],
                    description=entry["description"], visibility=entry["visibility"],
                    protected=entry["protected"], owner=SEED_OWNER, created_at=now,
                    updated_at=now)
                s.add(row)
                s.flush()
                fill_namespace(s, row, copy.deepcopy(entry), protected_types=True)
                added.append(name)
            s.add(MetadefSeeded(namespace=name, seeded_at=now))
        if added:
            log.info("seeded %d metadata definition namespaces", len(added))
        return added
