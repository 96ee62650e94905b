"""Routers: their attributes, the gateway port on an external network (ext-gw-mode), and
extra routes. Interfaces are in ``router_interfaces.py``; what other families' deletes
must respect (a router's ports, subnets, networks) in ``l3_hooks.py``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nimbus.agents.network import messages
from nimbus.kernel.context import RequestContext
from nimbus.services.network import l3_errors as l3
from nimbus.services.network.errors import BadRequestNeutron, ResourceNotFound
from nimbus.services.network.models.core import IPAllocation, Network, Port, Subnet
from nimbus.services.network.models.routers import FloatingIp, Router, RouterPort, RouterRoute
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import query as q
from nimbus.services.network.service import quotas
from nimbus.services.network.service.base import caller_is_admin
from nimbus.services.network.service.networks import visible_networks
from nimbus.services.network.service.router_interfaces import RouterInterfaces, subnet_cidrs
from nimbus.services.network.service.standard import bump, drop_tags, standard_view, tags_of

GATEWAY = "network:router_gateway"
INTERFACE = "network:router_interface"
MAX_ROUTES = 30
COLUMNS = {"id": Router.id, "name": Router.name, "project_id": Router.project_id,
           "description": Router.description, "admin_state_up": Router.admin_state_up,
           "status": Router.status, "flavor_id": Router.flavor_id,
           "revision_number": Router.revision_number, "created_at": Router.created_at,
           "updated_at": Router.updated_at}



# Module-level names for annotations inside classes that define ``list``.
Items = list[dict[str, Any]]
Routes = list[dict[str, str]]
Ids = list[str]
HostedRouters = list[messages.Router]

def after_commit(s: Session, work: Callable[[], None]) -> None:
    """Run ``work`` once the session's transaction is committed (agents see committed
    state only)."""
    from sqlalchemy import event

    event.listen(s, "after_commit", lambda _s: work(), once=True)


class Routers(RouterInterfaces):
    resource_type = "routers"

    # -- reading ------------------------------------------------------------------------
    def list(self, ctx: RequestContext, query: ListQuery) -> Items:
        with self.db.session() as s:
            stmt = select(Router)
            if not caller_is_admin(ctx):
                stmt = stmt.where(Router.project_id == ctx.project_id)
            stmt, _rest = q.apply_filters(stmt, COLUMNS, query)
            stmt = q.apply_tags(stmt, Router.id, self.resource_type, query.tags)
            stmt = q.apply_order_and_page(s, stmt, Router, COLUMNS, query, "Router")
            rows = q.finish_page(list(s.scalars(stmt)), query)
            return self.render_many(s, rows)

    def get(self, ctx: RequestContext, router_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.render_many(s, [self.row(s, router_id)])[0]

    def row(self, s: Session, router_id: str) -> Router:
        row = s.get(Router, router_id)
        if row is None:
            raise l3.router_not_found(router_id)
        return row

    # -- writing ------------------------------------------------------------------------
    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        router_id = str(uuid.uuid4())

        def work(s: Session) -> Ids:
            quotas.check(s, values["project_id"], "router")
            row = Router(id=router_id, project_id=values["project_id"],
                         name=values.get("name") or "",
                         description=values.get("description") or "",
                         admin_state_up=values["admin_state_up"],
                         ha=bool(values.get("ha")), distributed=bool(values.get("distributed")),
                         availability_zone_hints=values.get("availability_zone_hints") or [],
                         flavor_id=values.get("flavor_id"))
            s.add(row)
            s.flush()
            return self.set_gateway(s, ctx, row, values.get("external_gateway_info"))
        networks = self.services.ports._retrying(work)
        self.changed(routers=[router_id], networks=networks)
        return self.get(ctx, router_id)

    def update(self, ctx: RequestContext, router_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        def work(s: Session) -> Ids:
            row = self.row(s, router_id)
            for key in ("name", "description", "admin_state_up"):
                if key in values:
                    setattr(row, key, values[key])
            self._migrate(row, values)
            networks: Ids = []
            if "external_gateway_info" in values:
                networks = self.set_gateway(s, ctx, row, values["external_gateway_info"])
            if "routes" in values:
                self.set_routes(s, row, values["routes"])
            bump(row)
            return networks
        networks = self.services.ports._retrying(work)
        self.changed(routers=[router_id], networks=networks)
        return self.get(ctx, router_id)

    def _migrate(self, row: Router, values: dict[str, Any]) -> None:
        """ha/distributed change only on a router that is (being set) down."""
        for key, what in (("ha", "HA attribute"), ("distributed", "the 'distributed' "
                                                                    "attribute")):
            wanted = values.get(key)
            if wanted is None or wanted == getattr(row, key):
                continue
            if row.admin_state_up:
                raise BadRequestNeutron("router", f"Cannot change {what} of active routers. "
                                                  "Please set router admin_state_up to False "
                                                  "prior to upgrade")
            setattr(row, key, wanted)

    def delete(self, ctx: RequestContext, router_id: str) -> None:
        with self.db.session() as s, s.begin():
            row = self.row(s, router_id)
            attached = list(s.scalars(select(RouterPort.port_id).where(
                RouterPort.router_id == router_id, RouterPort.port_type == INTERFACE)))
            if attached:
                raise l3.router_in_use(router_id, "has ports still attached: " +
                                       ", ".join(attached))
            networks = self.set_gateway(s, ctx, row, None)
            drop_tags(s, self.resource_type, router_id)
            s.delete(row)
        self.changed(routers=[router_id], networks=networks)

    # -- the gateway --------------------------------------------------------------------
    def set_gateway(self, s: Session, ctx: RequestContext, row: Router,
                    info: dict[str, Any] | None) -> Ids:
        """Put the router's gateway where ``info`` says (None: nowhere); returns the
        networks whose ports changed."""
        current = s.get(Port, row.gw_port_id) if row.gw_port_id else None
        if info is None:
            if current is None:
                return []
            self._drop_gateway(s, row, current)
            return [current.network_id]
        net = self._external_network(s, ctx, info["network_id"])
        ext_ips = info.get("external_fixed_ips") or []
        self._check_external_ips(s, net, ext_ips)
        row.enable_snat = info.get("enable_snat", True)
        touched = [net.id]
        if current is not None and current.network_id == net.id:
            if ext_ips and self._ips_change(s, current, ext_ips):
                self.services.ports._replace_ips(s, current, ext_ips)
        else:
            if current is not None:
                self._drop_gateway(s, row, current)
                touched.append(current.network_id)
            subnets = list(s.scalars(select(Subnet).where(Subnet.network_id == net.id)))
            self.check_router_subnets(s, row, subnets)
            port = self.services.ports.create_internal(
                s, network_id=net.id, project_id="", device_owner=GATEWAY,
                device_id=row.id, fixed_ips=ext_ips or None, host=row.host)
            s.add(RouterPort(router_id=row.id, port_id=port.id, port_type=GATEWAY))
            row.gw_port_id = port.id
            s.flush()
        routes = self.routes_of(s, [row.id]).get(row.id, [])
        if routes:
            self.validate_routes(s, row, routes)
        return touched

    def _external_network(self, s: Session, ctx: RequestContext, network_id: str) -> Network:
        net = s.get(Network, network_id)
        if net is not None and not caller_is_admin(ctx) and net.project_id != ctx.project_id:
            if s.scalar(select(Network.id).where(Network.id == network_id,
                                                 visible_networks(ctx))) is None:
                net = None
        if net is None:
            raise ResourceNotFound("Network", network_id)
        if not net.router_external:
            raise BadRequestNeutron("router", f"Network {network_id} is not an external "
                                              "network")
        return net

    def _check_external_ips(self, s: Session, net: Network,
                            ext_ips: Items) -> None:
        gateways = set(s.scalars(select(Subnet.gateway_ip).where(
            Subnet.network_id == net.id, Subnet.gateway_ip.is_not(None))))
        for ext_ip in ext_ips:
            if ext_ip.get("ip_address") in gateways:
                raise BadRequestNeutron("router", f"External IP {ext_ip['ip_address']} is "
                                                  "the same as the gateway IP")

    def _ips_change(self, s: Session, port: Port, ext_ips: Items) -> bool:
        current = list(s.execute(select(IPAllocation.subnet_id, IPAllocation.ip_address)
                                 .where(IPAllocation.port_id == port.id)))
        wanted_subnets = {e["subnet_id"] for e in ext_ips if e.get("subnet_id")}
        if wanted_subnets != {sub for sub, _ in current}:
            return True
        return {e["ip_address"] for e in ext_ips if e.get("ip_address")} != \
            {ip for _, ip in current}

    def _drop_gateway(self, s: Session, row: Router, port: Port) -> None:
        used = s.scalar(select(func.count()).select_from(FloatingIp).where(
            FloatingIp.router_id == row.id))
        if used:
            raise l3.gateway_in_use_by_fip(row.id, port.network_id)
        row.gw_port_id = None
        s.flush()
        s.execute(delete(Port).where(Port.id == port.id))
        s.expunge(port)

    # -- extra routes -------------------------------------------------------------------
    def routes_of(self, s: Session, ids: Ids) -> dict[str, Routes]:
        found: dict[str, Routes] = {}
        if ids:
            for route in s.scalars(select(RouterRoute).where(RouterRoute.router_id.in_(ids))
                                   .order_by(RouterRoute.destination, RouterRoute.nexthop)):
                found.setdefault(route.router_id, []).append(
                    {"destination": route.destination, "nexthop": route.nexthop})
        return found

    def set_routes(self, s: Session, row: Router, routes: Routes) -> None:
        if len(routes) > MAX_ROUTES:
            raise l3.routes_exhausted(row.id, MAX_ROUTES)
        self.validate_routes(s, row, routes)
        s.execute(delete(RouterRoute).where(RouterRoute.router_id == row.id))
        for route in routes:
            s.add(RouterRoute(router_id=row.id, destination=route["destination"],
                              nexthop=route["nexthop"]))
        s.flush()

    def validate_routes(self, s: Session, row: Router, routes: Routes) -> None:
        """Each nexthop on a subnet the router is on, and none the router's own address."""
        import ipaddress

        cidrs, addresses = subnet_cidrs(s, row.id)
        for route in routes:
            hop = ipaddress.ip_address(route["nexthop"])
            if not any(hop.version == c.version and hop in c for c in cidrs):
                raise l3.invalid_routes(routes, "the nexthop is not connected with router")
            if str(hop) in addresses:
                raise l3.invalid_routes(routes, "the nexthop is used by router")

    def edit_routes(self, ctx: RequestContext, router_id: str, routes: Routes,
                    *, add: bool) -> dict[str, Any]:
        """``add_extraroutes`` / ``remove_extraroutes``: a set union or difference."""
        with self.db.session() as s:
            current = self.routes_of(s, [router_id]).get(router_id, [])
        if add:
            wanted = current + [r for r in routes if r not in current]
        else:
            wanted = [r for r in current if r not in routes]
        return self.update(ctx, router_id, {"routes": wanted})

    # -- the L3 agents ------------------------------------------------------------------
    def routers_for_host(self, s: Session, host: str) -> HostedRouters:
        """What ``host``'s L3 part serves (messages.Router), scheduling routers whose host
        is gone to the alive L3 agents (``host`` itself when there is no agents store);
        the networks of routers that moved are announced once committed."""
        from nimbus.services.network.service import hoststate_l3

        agents = getattr(self.services, "agents", None)
        alive = agents.alive_hosts("l3") if agents is not None and hasattr(
            agents, "alive_hosts") else [host]
        moved = hoststate_l3.schedule(s, sorted(set(alive)))
        if moved:
            networks = sorted(set(s.scalars(select(Port.network_id).join(
                RouterPort, RouterPort.port_id == Port.id)
                .where(RouterPort.router_id.in_(moved)))))
            after_commit(s, lambda: self.changed(routers=moved, networks=networks))
        return hoststate_l3.hosted_routers(s, host)

    # -- rendering ----------------------------------------------------------------------
    def render_many(self, s: Session, rows: Sequence[Router]) -> Items:
        ids = [r.id for r in rows]
        tags = tags_of(s, self.resource_type, ids)
        routes = self.routes_of(s, ids)
        gw_ids = [r.gw_port_id for r in rows if r.gw_port_id]
        gw_nets: dict[str, str] = {}
        gw_ips: dict[str, Routes] = {}
        if gw_ids:
            gw_nets = dict(s.execute(select(Port.id, Port.network_id)
                                     .where(Port.id.in_(gw_ids))).all())
            for alloc in s.scalars(select(IPAllocation).where(
                    IPAllocation.port_id.in_(gw_ids)).order_by(IPAllocation.ip_address)):
                gw_ips.setdefault(alloc.port_id, []).append(
                    {"subnet_id": alloc.subnet_id, "ip_address": alloc.ip_address})
        return [self._view(r, tags.get(r.id, []), routes.get(r.id, []), gw_nets, gw_ips)
                for r in rows]

    def _view(self, row: Router, tags: Ids, routes: Routes,
              gw_nets: dict[str, str], gw_ips: dict[str, Routes]
              ) -> dict[str, Any]:
        out = standard_view(row, tags)
        gateway = None
        if row.gw_port_id and row.gw_port_id in gw_nets:
            gateway = {"network_id": gw_nets[row.gw_port_id], "enable_snat": row.enable_snat,
                       "external_fixed_ips": gw_ips.get(row.gw_port_id, [])}
        out.update({
            "admin_state_up": row.admin_state_up, "status": row.status,
            "external_gateway_info": gateway, "routes": routes, "ha": row.ha,
            "distributed": row.distributed,
            "availability_zone_hints": row.availability_zone_hints or [],
            "availability_zones": ["nova"], "flavor_id": row.flavor_id,
        })
        return out
