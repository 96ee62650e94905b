"""OS-ENDPOINT-POLICY: which policy blob an endpoint takes, by endpoint, by service in a
region (and the regions above it), or by service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from nimbus.kernel.db import new_id
from nimbus.kernel.errors import NotFound
from nimbus.services.identity.errors import ResourceNotFound
from nimbus.services.identity.models import Endpoint, PolicyAssociation, PolicyBlob, Region

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService


class PolicyAssociationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Could not find policy association.")


class NoPolicyForEndpoint(NotFound):
    def __init__(self, endpoint_id: str) -> None:
        super().__init__(f"No policy is associated with endpoint {endpoint_id}.")


@dataclass(frozen=True)
class Target:
    """What a policy is associated with: an endpoint, a service, or a service in a region."""

    endpoint_id: str | None = None
    service_id: str | None = None
    region_id: str | None = None


class EndpointPolicies:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    def _check_exists(self, s: Session, policy_id: str, target: Target) -> None:
        """Keystone's order: the policy, then the endpoint or service, then the region."""
        if s.get(PolicyBlob, policy_id) is None:
            raise ResourceNotFound("policy", policy_id)
        catalog = self.identity.catalog
        if target.endpoint_id is not None:
            catalog.endpoint(s, target.endpoint_id)
        if target.service_id is not None:
            catalog.service(s, target.service_id)
        if target.region_id is not None:
            catalog.region(s, target.region_id)

    @staticmethod
    def _row(s: Session, target: Target) -> PolicyAssociation | None:
        # SQLAlchemy turns ``== None`` into IS NULL.
        return s.scalars(select(PolicyAssociation).where(
            PolicyAssociation.endpoint_id == target.endpoint_id,
            PolicyAssociation.service_id == target.service_id,
            PolicyAssociation.region_id == target.region_id)).first()

    def associate(self, policy_id: str, target: Target) -> None:
        """One policy per target: a new association replaces the old one, as Keystone."""
        with self.db.session() as s:
            self._check_exists(s, policy_id, target)
            row = self._row(s, target)
            if row is None:
                s.add(PolicyAssociation(id=new_id(), policy_id=policy_id,
                                        endpoint_id=target.endpoint_id,
                                        service_id=target.service_id,
                                        region_id=target.region_id))
            else:
                row.policy_id = policy_id

    def check(self, policy_id: str, target: Target) -> None:
        with self.db.session() as s:
            self._check_exists(s, policy_id, target)
            row = self._row(s, target)
            if row is None or row.policy_id != policy_id:
                raise PolicyAssociationNotFound()

    def dissociate(self, policy_id: str, target: Target) -> None:
        """Removing an association that is not there is no error (Keystone's delete)."""
        with self.db.session() as s:
            self._check_exists(s, policy_id, target)
            row = self._row(s, target)
            if row is not None and row.policy_id == policy_id:
                s.delete(row)

    def endpoints_for_policy(self, policy_id: str) -> list[Endpoint]:
        with self.db.session() as s:
            if s.get(PolicyBlob, policy_id) is None:
                raise ResourceNotFound("policy", policy_id)
            rows = list(s.scalars(select(PolicyAssociation)
                                  .where(PolicyAssociation.policy_id == policy_id)))
            endpoints = list(s.scalars(select(Endpoint).order_by(Endpoint.id)))
            found: dict[str, Endpoint] = {}
            for row in rows:
                if row.endpoint_id is not None:
                    matched = [e for e in endpoints if e.id == row.endpoint_id]
                elif row.region_id is None:
                    matched = [e for e in endpoints if e.service_id == row.service_id]
                else:
                    regions = set(self.identity.catalog._subtree(s, row.region_id))
                    matched = [e for e in endpoints if e.service_id == row.service_id
                               and e.region_id in regions]
                found.update((e.id, e) for e in matched)
            return list(found.values())

    def policy_for_endpoint(self, endpoint_id: str) -> PolicyBlob:
        """The endpoint's own, else its service's in its region or the nearest region above,
        else its service's."""
        with self.db.session() as s:
            endpoint = self.identity.catalog.endpoint(s, endpoint_id)
            candidates = [Target(endpoint_id=endpoint.id)]
            candidates += [Target(service_id=endpoint.service_id, region_id=r)
                           for r in _region_chain(s, endpoint.region_id)]
            candidates.append(Target(service_id=endpoint.service_id))
            for target in candidates:
                row = self._row(s, target)
                if row is not None:
                    policy = s.get(PolicyBlob, row.policy_id)
                    if policy is None:
                        raise ResourceNotFound("policy", row.policy_id)
                    return policy
            raise NoPolicyForEndpoint(endpoint_id)

    # -- cleanup when what they name goes -------------------------------------------------
    @staticmethod
    def delete_for(s: Session, policy_id: str | None = None,
                   endpoint_ids: list[str] | None = None, service_id: str | None = None,
                   region_ids: list[str] | None = None) -> None:
        conditions = []
        if policy_id is not None:
            conditions.append(PolicyAssociation.policy_id == policy_id)
        if endpoint_ids:
            conditions.append(PolicyAssociation.endpoint_id.in_(endpoint_ids))
        if service_id is not None:
            conditions.append(PolicyAssociation.service_id == service_id)
        if region_ids:
            conditions.append(PolicyAssociation.region_id.in_(region_ids))
        if conditions:
            s.execute(delete(PolicyAssociation).where(or_(*conditions)))


def _region_chain(s: Session, region_id: str | None) -> list[str]:
    """The region and its parents, nearest first (a cycle ends the walk)."""
    chain: list[str] = []
    while region_id is not None and region_id not in chain:
        chain.append(region_id)
        region = s.get(Region, region_id)
        region_id = region.parent_region_id if region is not None else None
    return chain
