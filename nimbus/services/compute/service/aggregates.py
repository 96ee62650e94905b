"""Host aggregates, and the availability zones their ``availability_zone`` metadata makes.
Nova's rule: a host is in at most one availability zone, so an aggregate may not gain a
host, or a zone, that would put one of its hosts in two."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.kernel.db import Database, utcnow
from nimbus.kernel.errors import BadRequest, Conflict, NotFound
from nimbus.services.compute.errors import AggregateNotFound
from nimbus.services.compute.models.hosts import Aggregate, AggregateHost, AggregateMetadata
from nimbus.services.compute.service.hosts import Hosts

AZ_KEY = "availability_zone"
INTERNAL_ZONE = "internal"


def _as_dict(s: Session, row: Aggregate) -> dict[str, Any]:
    hosts = s.scalars(select(AggregateHost.host).where(
        AggregateHost.aggregate_id == row.id).order_by(AggregateHost.host)).all()
    meta = {m.key: m.value for m in s.scalars(select(AggregateMetadata).where(
        AggregateMetadata.aggregate_id == row.id)).all()}
    return {"id": row.id, "uuid": row.uuid, "name": row.name, "hosts": list(hosts),
            "metadata": meta, "availability_zone": meta.get(AZ_KEY),
            "created_at": row.created_at, "updated_at": row.updated_at}


class Aggregates:
    def __init__(self, db: Database, hosts: Hosts, default_zone: str) -> None:
        self.db = db
        self.hosts = hosts
        self.default_zone = default_zone

    # -- public functions (scheduler, servers) --------------------------------------------
    def zone_of(self, host: str) -> str:
        """The availability zone ``host`` is in (the default zone when none says)."""
        zones = self._zones_of(host)
        return sorted(zones)[0] if zones else self.default_zone

    def of_host(self, host: str) -> list[dict[str, Any]]:
        return [a for a in self.list() if host in a["hosts"]]

    def _zones_of(self, host: str, skip: int | None = None) -> set[str]:
        return {a["availability_zone"] for a in self.of_host(host)
                if a["availability_zone"] and a["id"] != skip}

    # -- API ------------------------------------------------------------------------------
    def list(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            return [_as_dict(s, r) for r in
                    s.scalars(select(Aggregate).order_by(Aggregate.id)).all()]

    def _row(self, s: Session, aggregate_id: int) -> Aggregate:
        row = s.get(Aggregate, aggregate_id)
        if row is None:
            raise AggregateNotFound(aggregate_id)
        return row

    def get(self, aggregate_id: int) -> dict[str, Any]:
        with self.db.session() as s:
            return _as_dict(s, self._row(s, aggregate_id))

    def create(self, name: str, zone: str | None) -> dict[str, Any]:
        _check_zone_name(zone)
        try:
            with self.db.session() as s:
                if s.scalar(select(Aggregate.id).where(Aggregate.name == name)):
                    raise Conflict(f"Aggregate {name} already exists.")
                row = Aggregate(uuid=str(uuid.uuid4()), name=name)
                s.add(row)
                s.flush()
                if zone:
                    s.add(AggregateMetadata(aggregate_id=row.id, key=AZ_KEY, value=zone))
                s.flush()
                return _as_dict(s, row)
        except IntegrityError:
            raise Conflict(f"Aggregate {name} already exists.") from None

    def update(self, aggregate_id: int, name: str | None, zone: str | None,
               zone_given: bool) -> dict[str, Any]:
        if zone_given:
            _check_zone_name(zone)
            self._check_zone_change(aggregate_id, zone, "Cannot update aggregate")
        with self.db.session() as s:
            row = self._row(s, aggregate_id)
            if name is not None and name != row.name:
                if s.scalar(select(Aggregate.id).where(Aggregate.name == name)):
                    raise Conflict(f"Aggregate {name} already exists.")
                row.name = name
            if zone_given:
                _set_meta(s, row.id, {AZ_KEY: zone})
            row.updated_at = utcnow()
            s.flush()
            return _as_dict(s, row)

    def set_metadata(self, aggregate_id: int, metadata: dict[str, str | None]
                     ) -> dict[str, Any]:
        if AZ_KEY in metadata:
            _check_zone_name(metadata[AZ_KEY])
            self._check_zone_change(aggregate_id, metadata[AZ_KEY],
                                    "Cannot update metadata of aggregate")
        with self.db.session() as s:
            row = self._row(s, aggregate_id)
            _set_meta(s, row.id, metadata)
            row.updated_at = utcnow()
            s.flush()
            return _as_dict(s, row)

    def _check_zone_change(self, aggregate_id: int, zone: str | None, what: str) -> None:
        if not zone:
            return
        for host in self.get(aggregate_id)["hosts"]:
            others = self._zones_of(host, skip=aggregate_id) - {zone}
            if others:
                raise BadRequest(f"{what} {aggregate_id}. Reason: One or more hosts already "
                                 f"in availability zone(s) {sorted(others)}.")

    def add_host(self, aggregate_id: int, host: str) -> dict[str, Any]:
        self.hosts.require_compute_host(host)
        aggregate = self.get(aggregate_id)
        if host in aggregate["hosts"]:
            raise Conflict(f"Aggregate {aggregate_id} already has host {host}.")
        zone = aggregate["availability_zone"]
        others = self._zones_of(host) - {zone} if zone else set()
        if others:
            raise Conflict(f"Cannot add host to aggregate {aggregate_id}. Reason: One or more "
                           f"hosts already in availability zone(s) {sorted(others)}.")
        with self.db.session() as s:
            s.add(AggregateHost(aggregate_id=aggregate_id, host=host))
        return self.get(aggregate_id)

    def remove_host(self, aggregate_id: int, host: str) -> dict[str, Any]:
        with self.db.session() as s:
            self._row(s, aggregate_id)
            found = s.get(AggregateHost, (aggregate_id, host))
            if found is None:
                if host not in self.hosts.compute_hosts():
                    raise NotFound(f"Compute host {host} could not be found.")
                raise NotFound(f"Aggregate {aggregate_id} has no host {host}.")
            s.delete(found)
        return self.get(aggregate_id)

    def delete(self, aggregate_id: int) -> None:
        with self.db.session() as s:
            row = self._row(s, aggregate_id)
            if s.scalar(select(AggregateHost.host).where(
                    AggregateHost.aggregate_id == row.id)):
                raise BadRequest(f"Cannot remove aggregate {aggregate_id}. Reason: Host "
                                 "aggregate is not empty")
            s.execute(delete(AggregateMetadata).where(
                AggregateMetadata.aggregate_id == row.id))
            s.delete(row)

    def forget_host(self, host: str) -> None:
        """A deleted compute service leaves every aggregate."""
        with self.db.session() as s:
            s.execute(delete(AggregateHost).where(AggregateHost.host == host))


def _check_zone_name(zone: str | None) -> None:
    if zone == INTERNAL_ZONE:
        raise BadRequest(f"Aggregates can't be in the availability zone '{INTERNAL_ZONE}', "
                         "which is reserved for the internal services.")


def _set_meta(s: Session, aggregate_id: int, metadata: dict[str, str | None]) -> None:
    for key, value in metadata.items():
        found = s.get(AggregateMetadata, (aggregate_id, key))
        if value is None:
            if found is not None:
                s.delete(found)
        elif found is None:
            s.add(AggregateMetadata(aggregate_id=aggregate_id, key=key, value=value))
        else:
            found.value = value
