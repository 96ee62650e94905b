"""Agents as the API shows them (Neutron's agents table): written from the agents' own
heartbeats (``report``), read and toggled by an admin; ``alive`` is a heartbeat within
``agent_down_time``. Also the availability zones the agents' zones make, and which DHCP
agents serve which networks."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.agents.network import messages
from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.services.network.errors import ConflictNeutron, ResourceNotFound
from nimbus.services.network.models.agents import Agent, DhcpBinding, DhcpScheduled
from nimbus.services.network.models.core import Network, Port, Subnet
from nimbus.services.network.schemas.listing import ListQuery
from nimbus.services.network.service import query as q
from nimbus.services.network.service.base import ResourceStore
from nimbus.services.network.service.standard import bump

log = logging.getLogger("nimbus.network.agents")

COLUMNS = {"id": Agent.id, "agent_type": Agent.agent_type, "binary": Agent.binary,
           "topic": Agent.topic, "host": Agent.host, "admin_state_up": Agent.admin_state_up,
           "description": Agent.description, "availability_zone": Agent.availability_zone}
DHCP_AGENT = messages.AGENT_TYPES["dhcp"][0]
L3_AGENT = messages.AGENT_TYPES["l3"][0]
# Agents whose zone Neutron records and shows (the others' availability_zone is null),
# and the resource their zone is a zone for.
ZONED = {DHCP_AGENT: "network", L3_AGENT: "router"}
PORT_STATUSES = ("ACTIVE", "DOWN", "BUILD", "ERROR")


def stamp(value: dt.datetime | None) -> str | None:
    """Neutron shows agent times as "2017-09-12 19:40:38"."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# (``list`` inside the stores is their method: this names the builtin's lists.)
Rows = list[dict[str, Any]]
Ids = list[str]
AgentRows = list[Agent]


# Called as hook(device_id, device_owner, port_id, status) after a port's status changed:
# Neutron's Nova notifier (compute registers one that delivers network-vif-plugged).
PortStatusHook = Callable[[str, str, str, str], None]
PORT_STATUS_HOOKS: list[PortStatusHook] = []


class Agents(ResourceStore):
    resource_type = "agents"

    def cutoff(self) -> dt.datetime:
        return utcnow() - dt.timedelta(seconds=self.options.agent_down_time)

    def is_alive(self, row: Agent) -> bool:
        return _aware(row.heartbeat_timestamp) >= _aware(self.cutoff())

    def view(self, row: Agent) -> dict[str, Any]:
        return {"id": row.id, "agent_type": row.agent_type, "binary": row.binary,
                "topic": row.topic, "host": row.host, "admin_state_up": row.admin_state_up,
                "created_at": stamp(row.created_at), "started_at": stamp(row.started_at),
                "heartbeat_timestamp": stamp(row.heartbeat_timestamp),
                "alive": self.is_alive(row), "configurations": row.configurations or {},
                "description": row.description, "availability_zone": row.availability_zone}

    def list(self, ctx: RequestContext, query: ListQuery) -> Rows:
        with self.db.session() as s:
            filters = {k: v for k, v in COLUMNS.items() if k != "agent_type"}
            stmt, rest = q.apply_filters(select(Agent), filters, query)
            if "agent_type" in rest:
                # Neutron's MySQL compares case-insensitively: tempest asks for "DHCP Agent".
                wanted = [str(v).lower() for v in rest["agent_type"]]
                stmt = stmt.where(func.lower(Agent.agent_type).in_(wanted))
            for alive in rest.get("alive", []):
                since = self.cutoff()
                stmt = stmt.where(Agent.heartbeat_timestamp >= since if alive
                                  else Agent.heartbeat_timestamp < since)
            stmt = q.apply_order_and_page(s, stmt, Agent, COLUMNS, query, "Agent")
            return [self.view(r) for r in q.finish_page(list(s.scalars(stmt)), query)]

    def row(self, s: Session, agent_id: str) -> Agent:
        row = s.get(Agent, agent_id)
        if row is None:
            raise ResourceNotFound("Agent", agent_id, label="Agent")
        return row

    def get(self, ctx: RequestContext, agent_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return self.view(self.row(s, agent_id))

    def create(self, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
        raise ResourceNotFound("Agent", "", label="Agent")  # no POST route: agents report

    def update(self, ctx: RequestContext, agent_id: str,
               values: dict[str, Any]) -> dict[str, Any]:
        with self.db.session() as s, s.begin():
            row = self.row(s, agent_id)
            for key in ("admin_state_up", "description"):
                if key in values:
                    setattr(row, key, values[key])
            host = row.host
        self.changed(hosts=[host])
        return self.get(ctx, agent_id)

    def delete(self, ctx: RequestContext, agent_id: str) -> None:
        with self.db.session() as s, s.begin():
            s.delete(self.row(s, agent_id))

    # -- what the agents send (PluginEndpoint) --------------------------------------------
    def report(self, report: dict[str, Any]) -> str:
        """Upsert the agent's row from its heartbeat; returns its id."""
        got = messages.from_wire(messages.AgentReport, report)
        if got.agent_type not in messages.AGENT_TYPES:
            raise ValueError(f"unknown agent type {got.agent_type!r}; known: "
                             f"{sorted(messages.AGENT_TYPES)}")
        name, binary, topic = messages.AGENT_TYPES[got.agent_type]
        started = dt.datetime.fromtimestamp(got.started_at, dt.UTC) \
            if got.started_at else utcnow()
        values = {"binary": binary, "topic": topic, "configurations": got.configurations,
                  "availability_zone": got.availability_zone if name in ZONED else None,
                  "heartbeat_timestamp": utcnow(), "started_at": started}
        for attempt in range(3):
            try:
                with self.db.session() as s, s.begin():
                    row = s.scalar(select(Agent).where(Agent.agent_type == name,
                                                       Agent.host == got.host))
                    if row is None:
                        row = Agent(id=str(uuid.uuid4()), agent_type=name, host=got.host,
                                    admin_state_up=True, created_at=utcnow())
                        s.add(row)
                    for key, value in values.items():
                        setattr(row, key, value)
                    return row.id
            except IntegrityError:
                if attempt == 2:   # another API worker inserted it first: update it
                    raise
        raise AssertionError("unreachable")

    def update_port_status(self, port_id: str, status: str, host: str) -> bool:
        """The agent plugged (ACTIVE) or lost (DOWN) a port's device; False: nothing done."""
        if status not in PORT_STATUSES:
            raise ValueError(f"unknown port status {status!r}")
        with self.db.session() as s, s.begin():
            row = s.get(Port, port_id)
            if row is None:
                return False
            if host and row.binding_host_id and row.binding_host_id != host:
                log.info("port %s is bound to %s, not %s: status %s ignored", port_id,
                         row.binding_host_id, host, status)
                return False
            if row.status == status:
                return False
            row.status = status
            bump(row)
            device = (row.device_id, row.device_owner)
        for hook in PORT_STATUS_HOOKS:
            try:
                hook(device[0], device[1], port_id, status)
            except Exception:  # noqa: BLE001 - a notifier never fails the status change
                log.exception("port %s: status hook failed", port_id)
        return True

    # -- what the host-state builder asks -------------------------------------------------
    def alive_hosts(self, kind: str) -> Ids:
        """Hosts with an enabled, alive agent of this kind (a key of messages.AGENT_TYPES)."""
        name = messages.AGENT_TYPES[kind][0]
        with self.db.session() as s:
            rows = s.scalars(select(Agent).where(Agent.agent_type == name,
                                                 Agent.admin_state_up.is_(True)))
            return sorted(r.host for r in rows if self.is_alive(r))

    def tunnel_ips(self) -> dict[str, str]:
        """Each host's VXLAN endpoint, as its Linux bridge agent reports it."""
        name = messages.AGENT_TYPES["linuxbridge"][0]
        with self.db.session() as s:
            rows = s.scalars(select(Agent).where(Agent.agent_type == name))
            return {r.host: str((r.configurations or {}).get("tunneling_ip"))
                    for r in rows if (r.configurations or {}).get("tunneling_ip")}

    def dhcp_networks_of_host(self, s: Session, host: str) -> Ids:
        """The networks this host's enabled DHCP agent serves (reads only)."""
        served: set[str] = set()
        for agent in s.scalars(select(Agent).where(Agent.host == host,
                                                   Agent.agent_type == DHCP_AGENT)):
            if agent.admin_state_up:
                served |= self._served_by(s, agent)
        return sorted(served)

    # -- availability zones and DHCP scheduling -------------------------------------------
    def availability_zones(self) -> Rows:
        zones: dict[tuple[str, str], bool] = {}
        with self.db.session() as s:
            for row in s.scalars(select(Agent).where(Agent.agent_type.in_(list(ZONED)),
                                                     Agent.availability_zone.is_not(None))):
                key = (row.availability_zone or "", ZONED[row.agent_type])
                up = row.admin_state_up and self.is_alive(row)
                zones[key] = zones.get(key, False) or up
        return [{"name": name, "resource": resource,
                 "state": "available" if up else "unavailable"}
                for (name, resource), up in sorted(zones.items())]

    # Neutron's DHCP scheduling, reduced to one rule: a network with a DHCP-enabled subnet
    # is served by every enabled DHCP agent (in the all-in-one: the one) until an admin adds
    # it to or removes it from an agent; from then on its bindings are rows, and stay. The
    # host-state builder asks ``dhcp_hosts`` which hosts run the network's dnsmasq. Reads
    # never write: an unplaced network's agents are worked out, not stored.
    def _has_dhcp(self, s: Session, network_id: str) -> bool:
        return bool(s.scalar(select(exists().where(Subnet.network_id == network_id,
                                                   Subnet.enable_dhcp.is_(True)))))

    def _serving(self, s: Session, network_id: str) -> AgentRows:
        if s.get(DhcpScheduled, network_id) is not None:
            return [*s.scalars(select(Agent).join(
                DhcpBinding, DhcpBinding.agent_id == Agent.id).where(
                DhcpBinding.network_id == network_id).order_by(Agent.host))]
        return [*s.scalars(self._dhcp_agents())] if self._has_dhcp(s, network_id) else []

    def _place(self, s: Session, network_id: str) -> None:
        """Turn a network's worked-out agents into rows, before an admin changes them."""
        if s.get(DhcpScheduled, network_id) is None:
            serving = self._serving(s, network_id)
            s.add(DhcpScheduled(network_id=network_id))
            s.add_all(DhcpBinding(network_id=network_id, agent_id=a.id) for a in serving)
            s.flush()

    def dhcp_agents(self, network_id: str) -> Rows:
        with self.db.session() as s:
            if s.get(Network, network_id) is None:
                raise ResourceNotFound("Network", network_id)
            return [self.view(r) for r in self._serving(s, network_id)]

    def dhcp_networks(self, agent_id: str) -> Ids:
        with self.db.session() as s:
            return sorted(self._served_by(s, self.row(s, agent_id)))

    def _served_by(self, s: Session, agent: Agent) -> set[str]:
        bound = set(s.scalars(select(DhcpBinding.network_id)
                              .where(DhcpBinding.agent_id == agent.id)))
        if agent.agent_type == DHCP_AGENT and agent.admin_state_up:
            bound |= set(s.scalars(select(Subnet.network_id).where(
                Subnet.enable_dhcp.is_(True),
                ~exists().where(DhcpScheduled.network_id == Subnet.network_id))))
        return bound

    def dhcp_hosts(self, s: Session, network_id: str) -> Ids:
        """The hosts whose DHCP agent serves the network (call in the host-state build)."""
        return sorted({a.host for a in self._serving(s, network_id) if a.admin_state_up})

    def add_dhcp_network(self, agent_id: str, network_id: str) -> None:
        with self.db.session() as s, s.begin():
            agent = self.row(s, agent_id)
            if agent.agent_type != DHCP_AGENT or not agent.admin_state_up:
                raise ConflictNeutron("InvalidDHCPAgent", f"Agent {agent_id} is not a valid "
                                                          "DHCP Agent or has been disabled")
            if s.get(Network, network_id) is None:
                raise ResourceNotFound("Network", network_id)
            self._place(s, network_id)
            if s.get(DhcpBinding, (network_id, agent_id)) is not None:
                raise ConflictNeutron("NetworkHostedByDHCPAgent",
                                      f"The network {network_id} has been already hosted "
                                      f"by the DHCP Agent {agent_id}.")
            s.add(DhcpBinding(network_id=network_id, agent_id=agent_id))
            host = agent.host
        self.changed(networks=[network_id], hosts=[host])

    def remove_dhcp_network(self, agent_id: str, network_id: str) -> None:
        with self.db.session() as s, s.begin():
            agent = self.row(s, agent_id)
            self._place(s, network_id)
            binding = s.get(DhcpBinding, (network_id, agent_id))
            if binding is None:
                raise ConflictNeutron("NetworkNotHostedByDhcpAgent",
                                      f"The network {network_id} is not hosted by the DHCP "
                                      f"agent {agent_id}.")
            s.delete(binding)
            host = agent.host
        self.changed(networks=[network_id], hosts=[host])

    def _dhcp_agents(self) -> Any:
        return select(Agent).where(Agent.agent_type == DHCP_AGENT,
                                   Agent.admin_state_up.is_(True)).order_by(Agent.host)


class AvailabilityZones:
    """/v2.0/availability_zones through the one controller (list only)."""

    def __init__(self, agents: Agents) -> None:
        self.agents = agents

    def list(self, ctx: RequestContext, query: ListQuery) -> Rows:
        zones = self.agents.availability_zones()
        for name, values in query.filters.items():
            zones = [z for z in zones if z.get(name) in values]
        return zones
