"""The desired state of one host, as the network agent asks for it (``get_host_state``):
the networks it has ports on, with their subnets and those ports; the security groups of
those ports (with the member addresses of every group a rule names); its routers.

DHCP is scheduled here too: a network with DHCP-enabled subnets gets one DHCP port, bound
to the host of an alive DHCP agent (the one with the fewest), as Neutron's DHCP agent makes
its own port; the host that asks and is chosen gets it in its state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.agents.network import messages as m
from nimbus.kernel.context import RequestContext
from nimbus.services.network.models.core import Network, Port, Subnet
from nimbus.services.network.models.security_groups import (
    PortSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
)

DHCP_OWNER = "network:dhcp"
ROUTER_OWNERS = ("network:router_interface", "network:router_gateway",
                 "network:router_interface_distributed")
# Who the service is when it renders for an agent: it sees everything.
SERVICE_CTX = RequestContext(user_id="nimbus-network", roles=("admin",))


class HostStates:
    def __init__(self, services: Any) -> None:
        self.services = services
        self.db = services.db

    def host_state(self, host: str) -> m.HostState:
        created = self._schedule_dhcp(host)
        with self.db.session() as s:
            ports = self._port_views(s, host)
            nets = self._networks(s, {p["network_id"] for p in ports}, ports, host)
            state = m.HostState(host=host, networks=nets,
                                security_groups=self._groups(s, ports),
                                local_ip=self._tunnel_ips().get(host) or
                                self.services.options.local_ip or None)
            routers = getattr(self.services, "routers", None)
            if routers is not None and hasattr(routers, "routers_for_host"):
                state.routers = routers.routers_for_host(s, host)
            groups = getattr(self.services, "address_groups", None)
            if groups is not None and hasattr(groups, "for_host_state"):
                state.address_groups = groups.for_host_state(s, state.security_groups)
        if created:
            self.services.changed(networks=created)
        return state

    # -- ports and networks -------------------------------------------------------------
    def _port_views(self, s: Session, host: str) -> list[dict[str, Any]]:
        """The ports bound here, and every port of the networks this host serves DHCP or
        routing for (dnsmasq needs every MAC; the metadata proxy every address)."""
        served = select(Port.network_id).where(
            Port.binding_host_id == host,
            Port.device_owner.in_((DHCP_OWNER, *ROUTER_OWNERS)))
        rows = list(s.scalars(select(Port).where(
            or_(Port.binding_host_id == host, Port.network_id.in_(served)))))
        return list(self.services.ports.render_many(s, rows))

    def _networks(self, s: Session, ids: set[str], ports: list[dict[str, Any]],
                  host: str) -> list[m.Network]:
        if not ids:
            return []
        nets = list(s.scalars(select(Network).where(Network.id.in_(sorted(ids)))))
        segments = self.services.networks.segments_of(s, [n.id for n in nets])
        subnets: dict[str, list[Subnet]] = {}
        for sub in s.scalars(select(Subnet).where(Subnet.network_id.in_(sorted(ids)))):
            subnets.setdefault(sub.network_id, []).append(sub)
        out = []
        for net in nets:
            seg = (segments.get(net.id) or [None])[0]
            mine = [p for p in ports if p["network_id"] == net.id]
            out.append(m.Network(
                id=net.id, project_id=net.project_id,
                network_type=seg.network_type if seg else "local",
                physical_network=(seg.physical_network or None) if seg else None,
                segmentation_id=(seg.segmentation_id or None) if seg else None,
                mtu=net.mtu, admin_state_up=net.admin_state_up,
                external=net.router_external,
                dhcp=any(p["device_owner"] == DHCP_OWNER and p["binding:host_id"] == host
                         for p in mine),
                subnets=self._subnets(s, subnets.get(net.id, [])),
                ports=[self._port(s, p, net) for p in mine],
                **self._vxlan(s, net.id, host)))
        return out

    def _subnets(self, s: Session, rows: list[Subnet]) -> list[m.Subnet]:
        views = self.services.subnets.render_many(s, rows, SERVICE_CTX) if rows else []
        return [m.Subnet(
            id=v["id"], network_id=v["network_id"], cidr=v["cidr"], ip_version=v["ip_version"],
            gateway_ip=v["gateway_ip"], enable_dhcp=v["enable_dhcp"],
            dns_nameservers=list(v["dns_nameservers"]),
            host_routes=[m.HostRoute(r["destination"], r["nexthop"])
                         for r in v["host_routes"]],
            allocation_pools=list(v["allocation_pools"]),
            ipv6_ra_mode=v["ipv6_ra_mode"], ipv6_address_mode=v["ipv6_address_mode"])
            for v in views]

    def _port(self, s: Session, p: dict[str, Any], net: Network) -> m.Port:
        first_ip = next((ip["ip_address"] for ip in p["fixed_ips"]), "")
        hostname = p.get("dns_name") or ("host-" + first_ip.replace(".", "-")
                                         .replace(":", "-"))
        return m.Port(
            id=p["id"], network_id=p["network_id"], project_id=p["project_id"],
            mac_address=p["mac_address"],
            fixed_ips=[m.FixedIp(ip["subnet_id"], ip["ip_address"]) for ip in p["fixed_ips"]],
            device_owner=p["device_owner"], device_id=p["device_id"],
            admin_state_up=p["admin_state_up"] and net.admin_state_up,
            host=p["binding:host_id"], port_security_enabled=p["port_security_enabled"],
            security_group_ids=list(p["security_groups"]),
            allowed_address_pairs=[m.AddressPair(a["ip_address"],
                                                 a.get("mac_address") or p["mac_address"])
                                   for a in p.get("allowed_address_pairs") or []],
            extra_dhcp_opts=[m.DhcpOption(o["opt_name"], o["opt_value"] or "",
                                          o.get("ip_version", 4))
                             for o in p.get("extra_dhcp_opts") or []],
            hostname=hostname, qos=self._qos(s, p, net),
            subports=dict(p.get("trunk_subports") or {}))

    def _qos(self, s: Session, p: dict[str, Any], net: Network) -> m.Qos | None:
        qos = getattr(self.services, "qos", None)
        policy_id = p.get("qos_policy_id") or net.qos_policy_id
        if qos is None or not policy_id or not hasattr(qos, "rules_for"):
            return None
        return qos.rules_for(s, policy_id)  # type: ignore[no-any-return]

    def _vxlan(self, s: Session, network_id: str, host: str) -> dict[str, Any]:
        """The other hosts' VTEPs on this network, and where each of their MACs lives."""
        tunnels = self._tunnel_ips()
        remote_macs: dict[str, str] = {}
        for mac, other in s.execute(select(Port.mac_address, Port.binding_host_id).where(
                Port.network_id == network_id, Port.binding_host_id != "",
                Port.binding_host_id != host)):
            if tunnels.get(other):
                remote_macs[mac] = tunnels[other]
        return {"peers": sorted(set(remote_macs.values())), "remote_macs": remote_macs}

    def _tunnel_ips(self) -> dict[str, str]:
        agents = getattr(self.services, "agents", None)
        if agents is None or not hasattr(agents, "tunnel_ips"):
            return {}
        return agents.tunnel_ips()  # type: ignore[no-any-return]

    # -- security groups ----------------------------------------------------------------
    def _groups(self, s: Session, ports: list[dict[str, Any]]) -> list[m.SecurityGroup]:
        wanted = {g for p in ports for g in p["security_groups"]}
        if not wanted:
            return []
        rules = list(s.scalars(select(SecurityGroupRule).where(
            SecurityGroupRule.security_group_id.in_(sorted(wanted)))))
        wanted |= {r.remote_group_id for r in rules if r.remote_group_id}
        groups = {g.id: g for g in s.scalars(select(SecurityGroup).where(
            SecurityGroup.id.in_(sorted(wanted))))}
        members = self._members(s, sorted(wanted))
        by_group: dict[str, list[m.SecurityGroupRule]] = {}
        for r in rules:
            by_group.setdefault(r.security_group_id, []).append(m.SecurityGroupRule(
                id=r.id, direction=r.direction, ethertype=r.ethertype, protocol=r.protocol,
                port_range_min=r.port_range_min, port_range_max=r.port_range_max,
                remote_ip_prefix=r.normalized_cidr or r.remote_ip_prefix,
                remote_group_id=r.remote_group_id,
                remote_address_group_id=r.remote_address_group_id))
        return [m.SecurityGroup(id=g.id, stateful=g.stateful, rules=by_group.get(g.id, []),
                                member_ips=members.get(g.id, [])) for g in groups.values()]

    def _members(self, s: Session, group_ids: list[str]) -> dict[str, list[str]]:
        from nimbus.services.network.models.core import IPAllocation

        found: dict[str, list[str]] = {}
        for group_id, ip in s.execute(
                select(PortSecurityGroup.security_group_id, IPAllocation.ip_address)
                .join(IPAllocation, IPAllocation.port_id == PortSecurityGroup.port_id)
                .where(PortSecurityGroup.security_group_id.in_(group_ids))):
            found.setdefault(group_id, []).append(ip)
        return {k: sorted(v) for k, v in found.items()}

    # -- DHCP scheduling ----------------------------------------------------------------
    def _schedule_dhcp(self, host: str) -> list[str]:
        """DHCP ports for this host's share of the networks that need one; returns the
        networks that got a new port."""
        agents = getattr(self.services, "agents", None)
        hosts = agents.alive_hosts("dhcp") if agents is not None and hasattr(
            agents, "alive_hosts") else [host]
        if host not in hosts:
            return []
        made = []
        with self.db.session() as s:
            for net_id in self._networks_without_dhcp(s):
                if self._dhcp_host(s, hosts) == host:
                    made.append(net_id)
        for net_id in made:
            self._make_dhcp_port(net_id, host)
        return made

    def _networks_without_dhcp(self, s: Session) -> list[str]:
        with_dhcp = select(Subnet.network_id).where(Subnet.enable_dhcp.is_(True))
        served = select(Port.network_id).where(Port.device_owner == DHCP_OWNER)
        return list(s.scalars(select(Network.id).where(Network.id.in_(with_dhcp),
                                                        Network.id.not_in(served))))

    def _dhcp_host(self, s: Session, hosts: list[str]) -> str:
        counts = dict(s.execute(select(Port.binding_host_id, func.count()).where(
            Port.device_owner == DHCP_OWNER).group_by(Port.binding_host_id)).all())
        return min(sorted(hosts), key=lambda h: counts.get(h, 0))

    def _make_dhcp_port(self, network_id: str, host: str) -> None:
        ports = self.services.ports
        try:
            with self.db.session() as s, s.begin():
                net = s.get(Network, network_id)
                subnets = [x.id for x in s.scalars(select(Subnet).where(
                    Subnet.network_id == network_id, Subnet.enable_dhcp.is_(True)))]
                if net is None or not subnets:
                    return
                ports.create_internal(
                    s, network_id=network_id, project_id=net.project_id,
                    device_owner=DHCP_OWNER, device_id=f"dhcp-{host}-{network_id}",
                    fixed_ips=[{"subnet_id": x} for x in subnets], host=host)
        except IntegrityError:
            pass  # another API process made it first, or an address race: next pass
