"""Subnet pools (Neutron's subnet allocation: prefixes, prefix length bounds, one default
pool per IP version, a per-project quota in address units) and the prefix allocator that
subnets created from a pool go through."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from nimbus.kernel.context import RequestContext
from nimbus.services.network.errors import (
    ConflictNeutron,
    InvalidInput,
    ResourceNotFound,
)
from nimbus.services.network.models.core import RbacPolicy, Subnet
from nimbus.services.network.models.subnetpools import AddressScope, SubnetPool, SubnetPoolPrefix
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.schemas.subnets import NOT_SET
from nimbus.services.network.service import query as q
from nimbus.services.network.service.base import ResourceStore, caller_is_admin
from nimbus.services.network.service.standard import bump, drop_tags, standard_view, tags_of
from nimbus.services.network.service.subnet_rules import BadRequestTyped, bad_subnet

SHARED = "access_as_shared"
COLUMNS = {"id": SubnetPool.id, "name": SubnetPool.name, "project_id": SubnetPool.project_id,
           "description": SubnetPool.description, "ip_version": SubnetPool.ip_version,
           "default_prefixlen": SubnetPool.default_prefixlen,
           "min_prefixlen": SubnetPool.min_prefixlen, "max_prefixlen": SubnetPool.max_prefixlen,
           "default_quota": SubnetPool.default_quota, "is_default": SubnetPool.is_default,
           "address_scope_id": SubnetPool.address_scope_id,
           "revision_number": SubnetPool.revision_number,
           "created_at": SubnetPool.created_at, "updated_at": SubnetPool.updated_at}
BITS = {4: 32, 6: 128}
DEFAULT_MIN = {4: 8, 6: 64}
QUOTA_UNIT = {4: 32, 6: 64}


def shared_to(object_type: str, id_column: Any, project_id: str | None) -> Any:
    targets = ["*"] + ([project_id] if project_id else [])
    return exists().where(RbacPolicy.object_type == object_type,
                          RbacPolicy.object_id == id_column, RbacPolicy.action == SHARED,
                          RbacPolicy.target_project.in_(targets))


def compact(prefixes: Iterable[str]) -> list[Any]:
    """Overlapping prefixes merged (Neutron's IPSet compaction), lowest first."""
    nets = [ipaddress.ip_network(p, strict=False) for p in prefixes]
    versions = {n.version for n in nets}
    if len(versions) > 1:
        raise BadRequestTyped("PrefixVersionMismatch",
                              "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.")
    return list(ipaddress.collapse_addresses(nets))  # type: ignore[type-var]


def subtract(blocks: list[Any], taken: Iterable[Any]) -> list[Any]:
    """``blocks`` without the networks in ``taken``, as CIDRs."""
    for net in taken:
        rest = []
        for block in blocks:
            if block.version != net.version or not block.overlaps(net):
                rest.append(block)
            elif not net.supernet_of(block):
                rest.extend(block.address_exclude(net))
        blocks = rest
    return sorted(blocks)


def bounds_error(kind: str, value: int, base: str, base_value: int) -> BadRequestTyped:
    return BadRequestTyped("IllegalSubnetPoolPrefixBounds",
                           f"Illegal prefix bounds: {kind}={value}, {base}={base_value}.")


class SubnetPools(ResourceStore):
    resource_type = "subnetpools"

    def list(self, ctx: RequestContext, query: ListQuery) -> list[dict[str, Any]]:
        with self.db.session() as s:
            stmt = select(SubnetPool)
            if not caller_is_admin(ctx):
                stmt = stmt.where(or_(SubnetPool.project_id == ctx.project_id,
                                      shared_to("subnetpool", SubnetPool.id, ctx.project_id)))
            stmt, rest = q.apply_filters(stmt, COLUMNS, query)
            for value in rest.get("shared", []):
                cond = shared_to("subnetpool", SubnetPool.id, None)
                stmt = stmt.where(cond if value else ~cond)
            stmt = q.apply_tags(stmt, SubnetPool.id, self.resource_type, query.tags)
            stmt = q.apply_order_and_page(s, stmt, SubnetPool, COLUMNS, query, "SubnetPool")
            return self.render_many(s, q.finish_page(list(s.scalars(stmt)), query))

    def get(self, ctx: RequestContext, pool_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, pool_id)])[0]

    def row(self, s: Session, pool_id: str) -> SubnetPool:
        row = s.get(SubnetPool, pool_id)
        if row is None:
            raise ResourceNotFound("SubnetPool", pool_id, label="Subnet pool")
        return row

    def visible_row(self, s: Session, ctx: RequestContext, pool_id: str) -> SubnetPool:
        row = self.row(s, pool_id)
        if caller_is_admin(ctx) or row.project_id == ctx.project_id or s.scalar(
                select(shared_to("subnetpool", SubnetPool.id, ctx.project_id))
                .where(SubnetPool.id == pool_id)):
            return row
        raise ResourceNotFound("SubnetPool", pool_id, label="Subnet pool")

    # -- create / update ----------------------------------------------------------------
    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        prefixes = self._prefixes(values["prefixes"])
        version = prefixes[0].version
        lens = self._prefix_bounds(values, version, None)
        scope = None if values.get("address_scope_id") is NOT_SET else \
            values.get("address_scope_id")
        pool_id = str(uuid.uuid4())
        with self.db.session() as s, s.begin():
            if values.get("is_default"):
                self._check_no_default(s, version, None)
            self._check_scope(s, ctx, scope, version, prefixes, pool_id)
            quota = values.get("default_quota")
            s.add(SubnetPool(id=pool_id, project_id=values["project_id"], name=values["name"],
                             description=values.get("description") or "", ip_version=version,
                             default_quota=None if quota is NOT_SET else quota,
                             is_default=values.get("is_default") or False,
                             address_scope_id=scope, hash=str(uuid.uuid4()), **lens))
            s.flush()
            self._write_prefixes(s, pool_id, prefixes)
            if values.get("shared"):
                s.add(RbacPolicy(id=str(uuid.uuid4()), project_id=values["project_id"],
                                 object_type="subnetpool", object_id=pool_id, action=SHARED,
                                 target_project="*"))
        return self.get(ctx, pool_id)

    def _prefixes(self, raw: list[str]) -> list[Any]:
        if not raw:
            raise BadRequestTyped("EmptySubnetPoolPrefixList", "Empty subnet pool prefix list.")
        return compact(raw)

    def _prefix_bounds(self, values: dict[str, Any], version: int,
                       row: SubnetPool | None) -> dict[str, int]:
        def pick(key: str, fallback: int) -> int:
            value = values.get(key, NOT_SET)
            if value is NOT_SET or value is None:
                return getattr(row, key) if row is not None else fallback
            return int(value)

        low = pick("min_prefixlen", DEFAULT_MIN[version])
        high = pick("max_prefixlen", BITS[version])
        default = pick("default_prefixlen", low)
        if low > high:
            raise bounds_error("min_prefixlen", low, "max_prefixlen", high)
        if high > BITS[version]:
            raise bounds_error("max_prefixlen", high, "ip_version_max", BITS[version])
        if default < low:
            raise bounds_error("default_prefixlen", default, "min_prefixlen", low)
        if default > high:
            raise bounds_error("default_prefixlen", default, "max_prefixlen", high)
        return {"min_prefixlen": low, "max_prefixlen": high, "default_prefixlen": default}

    def _check_no_default(self, s: Session, version: int, pool_id: str | None) -> None:
        stmt = select(SubnetPool.id).where(SubnetPool.is_default.is_(True),
                                           SubnetPool.ip_version == version)
        if pool_id:
            stmt = stmt.where(SubnetPool.id != pool_id)
        if s.scalar(stmt):
            raise InvalidInput("A default subnetpool for this IP family has already been set. "
                               "Only one default may exist per IP family")

    def _check_scope(self, s: Session, ctx: RequestContext, scope_id: str | None,
                     version: int, prefixes: list[Any], pool_id: str) -> None:
        if not scope_id:
            return
        scope = s.get(AddressScope, scope_id)
        if scope is None:
            raise ResourceNotFound("AddressScope", scope_id, label="Address scope")
        usable = caller_is_admin(ctx) or scope.project_id == ctx.project_id or s.scalar(
            select(shared_to("address_scope", AddressScope.id, None))
            .where(AddressScope.id == scope_id))
        if not usable:
            raise BadRequestTyped("IllegalSubnetPoolAssociationToAddressScope",
                                  f"Illegal subnetpool association: subnetpool {pool_id} "
                                  f"cannot be associated with address scope {scope_id}.")
        if scope.ip_version != version:
            raise BadRequestTyped("IllegalSubnetPoolIpVersionAssociationToAddressScope",
                                  f"Illegal subnetpool association: subnetpool {pool_id} "
                                  f"cannot associate with address scope {scope_id} because "
                                  f"subnetpool ip_version is not {scope.ip_version}.")
        others = s.scalars(select(SubnetPoolPrefix.cidr).join(
            SubnetPool, SubnetPool.id == SubnetPoolPrefix.subnetpool_id).where(
            SubnetPool.address_scope_id == scope_id, SubnetPool.id != pool_id))
        for cidr in others:
            if any(p.overlaps(ipaddress.ip_network(cidr)) for p in prefixes):
                raise ConflictNeutron("AddressScopePrefixConflict",
                                      "Failed to associate address scope: subnetpools within "
                                      "an address scope must have unique prefixes.")

    def _write_prefixes(self, s: Session, pool_id: str, prefixes: list[Any]) -> None:
        s.execute(delete(SubnetPoolPrefix).where(SubnetPoolPrefix.subnetpool_id == pool_id))
        s.flush()
        for prefix in prefixes:
            s.add(SubnetPoolPrefix(subnetpool_id=pool_id, cidr=str(prefix)))

    def prefixes_of(self, s: Session, pool_id: str) -> list[Any]:
        return sorted(ipaddress.ip_network(c) for c in s.scalars(
            select(SubnetPoolPrefix.cidr).where(SubnetPoolPrefix.subnetpool_id == pool_id)))

    def update(self, ctx: RequestContext, pool_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, pool_id)
            old = self.prefixes_of(s, pool_id)
            prefixes = old
            if "prefixes" in values:
                prefixes = self._prefixes(values["prefixes"])
                if subtract(list(old), prefixes):
                    raise BadRequestTyped("IllegalSubnetPoolPrefixUpdate",
                                          "Illegal update to prefixes: Existing prefixes must "
                                          "be a subset of the new prefixes.")
                if prefixes[0].version != row.ip_version:
                    raise BadRequestTyped("PrefixVersionMismatch", "Cannot mix IPv4 and IPv6 "
                                                                   "prefixes in a subnet pool.")
            self._apply_update(s, ctx, row, values, prefixes)
        self.changed_networks_of(pool_id)
        return self.get(ctx, pool_id)

    def _apply_update(self, s: Session, ctx: RequestContext, row: SubnetPool,
                      values: dict[str, Any], prefixes: list[Any]) -> None:
        for key, value in self._prefix_bounds(values, row.ip_version, row).items():
            setattr(row, key, value)
        if values.get("is_default") and not row.is_default:
            self._check_no_default(s, row.ip_version, row.id)
        if "address_scope_id" in values and values["address_scope_id"] != row.address_scope_id:
            self._check_scope(s, ctx, values["address_scope_id"], row.ip_version, prefixes,
                              row.id)
            row.address_scope_id = values["address_scope_id"]
        elif "prefixes" in values:
            self._check_scope(s, ctx, row.address_scope_id, row.ip_version, prefixes, row.id)
        for key in ("name", "description", "is_default", "default_quota"):
            if key in values:
                setattr(row, key, values[key])
        if "prefixes" in values:
            self._write_prefixes(s, row.id, prefixes)
        bump(row)

    def changed_networks_of(self, pool_id: str) -> None:
        """Networks whose subnets come from the pool show its address scope: tell them."""
        with self.db.session() as s:
            networks = sorted(set(s.scalars(select(Subnet.network_id)
                                            .where(Subnet.subnetpool_id == pool_id))))
        if networks:
            self.changed(networks=networks)

    def add_prefixes(self, ctx: RequestContext, pool_id: str, new: list[str]) -> list[str]:
        with self.db.session() as s:
            current = [str(p) for p in self.prefixes_of(s, pool_id)]
        if new:
            self.update(ctx, pool_id, {"prefixes": current + new})
        with self.db.session() as s:
            return [str(p) for p in self.prefixes_of(s, pool_id)]

    def remove_prefixes(self, ctx: RequestContext, pool_id: str, gone: list[str]) -> list[str]:
        with self.db.session() as s, s.begin():
            row = self.row(s, pool_id)
            current = self.prefixes_of(s, pool_id)
            removal = [ipaddress.ip_network(p, strict=False) for p in gone]
            if any(c.overlaps(r) for c in current for r in removal if c.version == r.version):
                used = [ipaddress.ip_network(c) for c in s.scalars(
                    select(Subnet.cidr).where(Subnet.subnetpool_id == pool_id))]
                if any(u.overlaps(r) for u in used for r in removal if u.version == r.version):
                    raise BadRequestTyped("IllegalSubnetPoolPrefixUpdate",
                                          "Illegal update to prefixes: One or more the prefixes"
                                          " to be removed is in use by a subnet.")
                self._write_prefixes(s, pool_id, subtract(current, removal))
                bump(row)
        with self.db.session() as s:
            return [str(p) for p in self.prefixes_of(s, pool_id)]

    def delete(self, ctx: RequestContext, pool_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, pool_id)
            if s.scalar(select(Subnet.id).where(Subnet.subnetpool_id == pool_id).limit(1)):
                raise BadRequestTyped("SubnetPoolDeleteError", "Unable to delete subnet pool: "
                                                               "Subnet pool has existing "
                                                               "allocations.")
            s.execute(delete(RbacPolicy).where(RbacPolicy.object_type == "subnetpool",
                                               RbacPolicy.object_id == pool_id))
            drop_tags(s, self.resource_type, pool_id)
            s.delete(row)

    # -- allocation ---------------------------------------------------------------------
    def default_pool_id(self, ip_version: int) -> str | None:
        with self.db.session() as s:
            return s.scalar(select(SubnetPool.id).where(SubnetPool.is_default.is_(True),
                                                        SubnetPool.ip_version == ip_version))

    def allocate_for_subnet(self, s: Session, ctx: RequestContext, pool_id: str,
                            values: dict[str, Any]) -> str:
        """The CIDR a new subnet gets from the pool: the one asked for when it is free and
        inside the pool, else the first free block of the asked (or default) length."""
        pool = self.visible_row(s, ctx, pool_id)
        if values["ip_version"] != pool.ip_version:
            raise bad_subnet(f"Cannot allocate IPv{values['ip_version']} subnet from "
                             f"IPv{pool.ip_version} subnet pool")
        # Moving the hash makes concurrent allocations from one pool take turns.
        s.execute(update(SubnetPool).where(SubnetPool.id == pool_id)
                  .values(hash=str(uuid.uuid4())))
        cidr = values.get("cidr")
        wanted = ipaddress.ip_network(cidr) if cidr not in (None, NOT_SET) else None
        prefixlen = wanted.prefixlen if wanted else (
            pool.default_prefixlen if values.get("prefixlen") is NOT_SET
            else int(values["prefixlen"]))
        self._check_length(pool, prefixlen)
        self._check_quota(s, pool, values["project_id"], prefixlen)
        used = [ipaddress.ip_network(c) for c in s.scalars(
            select(Subnet.cidr).where(Subnet.subnetpool_id == pool_id))]
        free = subtract(self.prefixes_of(s, pool_id), used)
        if wanted is not None:
            if any(block.supernet_of(wanted) for block in free):
                return str(wanted)
            raise ConflictNeutron("SubnetAllocationError", "Failed to allocate subnet: Cannot "
                                  "allocate requested subnet from the available set of "
                                  "prefixes.")
        for block in sorted(free, key=lambda b: -b.prefixlen):
            if block.prefixlen <= prefixlen:
                return str(next(block.subnets(new_prefix=prefixlen)))
        raise ConflictNeutron("SubnetAllocationError", f"Failed to allocate subnet: "
                              f"Insufficient prefix space to allocate subnet size /{prefixlen}.")

    def _check_length(self, pool: SubnetPool, prefixlen: int) -> None:
        if prefixlen > pool.max_prefixlen:
            raise BadRequestTyped("MaxPrefixSubnetAllocationError",
                                  f"Unable to allocate subnet with prefix length {prefixlen}, "
                                  f"maximum allowed prefix is {pool.max_prefixlen}.")
        if prefixlen < pool.min_prefixlen:
            raise BadRequestTyped("MinPrefixSubnetAllocationError",
                                  f"Unable to allocate subnet with prefix length {prefixlen}, "
                                  f"minimum allowed prefix is {pool.min_prefixlen}.")

    def _check_quota(self, s: Session, pool: SubnetPool, project_id: str,
                     prefixlen: int) -> None:
        """default_quota counts addresses (IPv4) or /64s (IPv6) a project holds in the pool."""
        if not pool.default_quota:
            return
        unit = QUOTA_UNIT[pool.ip_version]
        held = s.scalars(select(Subnet.cidr).where(Subnet.subnetpool_id == pool.id,
                                                   Subnet.project_id == project_id))
        used = sum(2 ** (unit - ipaddress.ip_network(c).prefixlen) for c in held)
        if used + 2 ** (unit - prefixlen) > pool.default_quota:
            raise ConflictNeutron("SubnetPoolQuotaExceeded",
                                  "Per-project subnet pool prefix quota exceeded.")

    # -- rendering ----------------------------------------------------------------------
    def render_many(self, s: Session, rows: list[SubnetPool]) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        prefixes: dict[str, list[str]] = {}
        shared: set[str] = set()
        if ids:
            for pool_id, cidr in s.execute(select(SubnetPoolPrefix.subnetpool_id,
                                                  SubnetPoolPrefix.cidr)
                                           .where(SubnetPoolPrefix.subnetpool_id.in_(ids))):
                prefixes.setdefault(pool_id, []).append(cidr)
            shared = set(s.scalars(select(RbacPolicy.object_id).where(
                RbacPolicy.object_type == "subnetpool", RbacPolicy.object_id.in_(ids),
                RbacPolicy.action == SHARED, RbacPolicy.target_project == "*")))
        tags = tags_of(s, self.resource_type, ids)
        out = []
        for row in rows:
            view = standard_view(row, tags.get(row.id, []))
            view.update({
                "prefixes": [str(p) for p in sorted(ipaddress.ip_network(c)
                                                    for c in prefixes.get(row.id, []))],
                "ip_version": row.ip_version, "default_prefixlen": row.default_prefixlen,
                "min_prefixlen": row.min_prefixlen, "max_prefixlen": row.max_prefixlen,
                "default_quota": row.default_quota, "is_default": row.is_default,
                "shared": row.id in shared, "address_scope_id": row.address_scope_id,
            })
            out.append(view)
        return out

    def scopes_of_networks(self, s: Session, network_ids: list[str]
                           ) -> dict[str, dict[int, str | None]]:
        """Each network's address scope per IP version, from its subnets' pools."""
        found: dict[str, dict[int, str | None]] = {}
        if network_ids:
            for net_id, version, scope in s.execute(
                    select(Subnet.network_id, SubnetPool.ip_version, SubnetPool.address_scope_id)
                    .join(SubnetPool, SubnetPool.id == Subnet.subnetpool_id)
                    .where(Subnet.network_id.in_(network_ids))):
                if scope:
                    found.setdefault(net_id, {})[version] = scope
        return found
