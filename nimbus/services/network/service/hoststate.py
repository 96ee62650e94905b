"""The desired state of one host, as the network agent asks for it (``get_host_state``):
the networks it has ports on, with their subnets and those ports; the security groups of
those ports (with the member addresses of every group a rule names); its routers.

DHCP is scheduled here too: a network with DHCP-enabled subnets gets one DHCP port, bound
to the host of an alive DHCP agent (the one with the fewest), as Neutron's DHCP agent makes
its own port; the host that asks and is chosen gets it in its state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.agents.network import messages as m
from nimbus.kernel.context import RequestContext
from nimbus.services.network.models.core import Network, Port, Subnet
from nimbus.services.network.service import qos
from nimbus.services.network.service.sg_state import security_group_state

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
            wanted = {p["network_id"] for p in ports} | self._external_networks(s, host)
            nets = self._networks(s, wanted, ports, host)
            groups, address_groups = security_group_state(
                s, sorted({g for p in ports for g in p["security_groups"]}))
            state = m.HostState(host=host, networks=nets, security_groups=groups,
                                address_groups=address_groups,
                                local_ip=self._tunnel_ips().get(host) or
                                self.services.options.local_ip or None)
            routers = getattr(self.services, "routers", None)
            if routers is not None and hasattr(routers, "routers_for_host"):
                state.routers = routers.routers_for_host(s, host)
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

    def _external_networks(self, s: Session, host: str) -> set[str]:
        """An L3 host holds the external networks (the host's side of ``public``), routers
        or not."""
        if host not in self._alive("l3", host):
            return set()
        return set(s.scalars(select(Network.id).where(Network.router_external.is_(True))))

    def _alive(self, agent_type: str, asking: str) -> list[str]:
        """Hosts with an alive agent of this type; the asking host counts while the
        service has no agent registry (it is alive: it asks)."""
        agents = getattr(self.services, "agents", None)
        if agents is None or not hasattr(agents, "alive_hosts"):
            return [asking]
        return list(agents.alive_hosts(agent_type)) or [asking]

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
        """The port's QoS policy, else its network's (not for Nimbus' own ports)."""
        return qos.rules_for_port(s, p.get("qos_policy_id"), net.qos_policy_id,
                                  p["device_owner"])

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

    # -- DHCP ports ---------------------------------------------------------------------
    def _schedule_dhcp(self, host: str) -> list[str]:
        """This host's DHCP port on each network its DHCP agent serves (made now when
        missing, removed when the network left it); returns the networks that changed."""
        with self.db.session() as s, s.begin():
            served = set(self._dhcp_networks(s, host))
            with_dhcp = set(s.scalars(select(Subnet.network_id).where(
                Subnet.enable_dhcp.is_(True))))
            ports = {p.network_id: p.id for p in s.scalars(select(Port).where(
                Port.device_owner == DHCP_OWNER, Port.binding_host_id == host))}
        wanted = served & with_dhcp
        changed = []
        for network_id in sorted(wanted - set(ports)):
            if self._make_dhcp_port(network_id, host):
                changed.append(network_id)
        for network_id in sorted(set(ports) - wanted):
            with self.db.session() as s, s.begin():
                row = s.get(Port, ports[network_id])
                if row is not None:
                    s.delete(row)
            changed.append(network_id)
        return changed

    def _dhcp_networks(self, s: Session, host: str) -> list[str]:
        agents = getattr(self.services, "agents", None)
        if agents is not None and hasattr(agents, "dhcp_networks_of_host"):
            return list(agents.dhcp_networks_of_host(s, host))
        # No agent registry: the asking host serves every network.
        return list(s.scalars(select(Network.id)))

    def _make_dhcp_port(self, network_id: str, host: str) -> bool:
        ports = self.services.ports
        try:
            with self.db.session() as s, s.begin():
                net = s.get(Network, network_id)
                subnets = [x.id for x in s.scalars(select(Subnet).where(
                    Subnet.network_id == network_id, Subnet.enable_dhcp.is_(True)))]
                if net is None or not subnets:
                    return False
                ports.create_internal(
                    s, network_id=network_id, project_id=net.project_id,
                    device_owner=DHCP_OWNER, device_id=f"dhcp-{host}-{network_id}"[:255],
                    fixed_ips=[{"subnet_id": x} for x in subnets], host=host)
            return True
        except IntegrityError:
            return False  # an address race with a port create: the next pass tries again
