"""What servers need from Networking, through its in-process public functions: the
networks a boot asks for (or finds), its ports (made, bound, released), security groups by
name, and the addresses a server shows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import BadRequest, CloudError, Conflict

log = logging.getLogger("nimbus.compute.networking")


def service_context(project_id: str | None = None) -> RequestContext:
    """Nova's own calls to Networking (Neutron's admin client)."""
    return RequestContext(user_id="nova", project_id=project_id, roles=("admin",))


@dataclass
class RequestedNic:
    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None
    tag: str | None = None


class Networking:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    @property
    def net(self) -> Any:
        from nimbus.services.network.service import network_of

        return network_of(self.runtime)

    @staticmethod
    def _query(**filters: list[Any]) -> Any:
        from nimbus.services.network.schemas.listing import ListQuery

        return ListQuery(filters=dict(filters))

    # -- checks at the API ---------------------------------------------------------------
    def check_requested(self, ctx: RequestContext, nics: list[RequestedNic]) -> None:
        """400 for a network or port the caller cannot use, 409 for a port in use."""
        for nic in nics:
            try:
                if nic.port_id:
                    port = self.net.ports.get(ctx, nic.port_id)
                    if port["device_id"]:
                        raise Conflict(f"Port {nic.port_id} is still in use.")
                    if not self._own_port(ctx, port):
                        raise BadRequest(f"Port id {nic.port_id} could not be found.")
                elif nic.network_id:
                    self.net.networks.get(ctx, nic.network_id)
            except CloudError as err:
                if err.status == 404:
                    what = f"Port id {nic.port_id}" if nic.port_id else \
                        f"Network {nic.network_id}"
                    raise BadRequest(f"{what} could not be found.") from None
                raise

    @staticmethod
    def _own_port(ctx: RequestContext, port: dict[str, Any]) -> bool:
        return ctx.has_role("admin") or port.get("project_id") == ctx.project_id

    def auto_networks(self, ctx: RequestContext) -> list[RequestedNic]:
        """``networks: auto`` (and no networks before 2.37): the one network the project
        can use; none when it has none; 409 when it has several (NetworkAmbiguous)."""
        usable = [n for n in self.net.networks.list(ctx, self._query())
                  if not n.get("router:external")]
        own = [n for n in usable if n.get("project_id") == ctx.project_id]
        chosen = own or [n for n in usable if n.get("shared")]
        if len(chosen) > 1:
            raise Conflict("Multiple possible networks found, use a Network ID to be more "
                           "specific.")
        return [RequestedNic(network_id=n["id"]) for n in chosen]

    def security_group_ids(self, ctx: RequestContext, names: list[str]) -> list[str]:
        """Group names (or ids) -> ids, in the caller's project; 400 for an unknown one."""
        groups = self.net.security_groups.list(ctx, self._query())
        ids = []
        for name in names:
            found = [g for g in groups if g["id"] == name] or \
                [g for g in groups if g["name"] == name and g["project_id"] == ctx.project_id]
            if not found and name == "default":
                continue        # the project's default group: Networking makes it
            if not found:
                raise BadRequest(f"Security group {name} not found for project "
                                 f"{ctx.project_id}.")
            if len(found) > 1:
                raise Conflict(f"Multiple security groups found matching '{name}'. Use an "
                               "ID to be more specific.")
            ids.append(found[0]["id"])
        return ids

    # -- ports of a boot ---------------------------------------------------------------
    def make_ports(self, ctx: RequestContext, instance: dict[str, Any], host: str,
                   nics: list[RequestedNic], group_ids: list[str] | None
                   ) -> list[dict[str, Any]]:
        """Create (or take over) and bind the instance's ports; on a failure the ones made
        are removed again and the error goes on."""
        made: list[dict[str, Any]] = []
        owner = f"compute:{instance['availability_zone'] or 'nova'}"
        try:
            for nic in nics:
                made.append(self._port_for(ctx, instance, host, owner, nic, group_ids))
        except Exception:
            self.release_ports(instance["id"], made)
            raise
        return made

    def _port_for(self, ctx: RequestContext, instance: dict[str, Any], host: str, owner: str,
                  nic: RequestedNic, group_ids: list[str] | None) -> dict[str, Any]:
        bind = {"device_id": instance["id"], "device_owner": owner, "binding:host_id": host}
        if nic.port_id:
            port = self.net.ports.update(service_context(), nic.port_id, bind)
            port["_preexisting"] = True
            return dict(port)
        values: dict[str, Any] = {"project_id": instance["project_id"],
                                  "network_id": nic.network_id, "admin_state_up": True,
                                  **bind}
        if nic.fixed_ip:
            values["fixed_ips"] = [{"ip_address": nic.fixed_ip}]
        if group_ids:
            values["security_groups"] = group_ids
        return dict(self.net.ports.create(ctx, values))

    def ports_of(self, instance_ids: list[str]) -> list[dict[str, Any]]:
        if not instance_ids:
            return []
        return list(self.net.ports.list(service_context(),
                                        self._query(device_id=list(instance_ids))))

    def ports_on(self, network_id: str) -> list[dict[str, Any]]:
        return list(self.net.ports.list(service_context(),
                                        self._query(network_id=[network_id])))

    def release_ports(self, instance_id: str, ports: list[dict[str, Any]] | None = None,
                      preexisting: set[str] | None = None) -> None:
        """Delete the ports Nova made; unbind the ones the user brought."""
        ports = ports if ports is not None else self.ports_of([instance_id])
        for port in ports:
            try:
                if port.get("_preexisting") or port["id"] in (preexisting or set()):
                    self.net.ports.update(service_context(), port["id"], {
                        "device_id": "", "device_owner": "", "binding:host_id": ""})
                else:
                    self.net.ports.delete(service_context(), port["id"])
            except CloudError as err:
                if err.status != 404:
                    log.warning("instance %s: port %s not released: %s", instance_id,
                                port["id"], err.message)

    def bind_ports(self, instance_id: str, host: str) -> list[dict[str, Any]]:
        """The instance's ports bound to ``host`` ("" unbinds them: shelve offload)."""
        out = []
        for port in self.ports_of([instance_id]):
            out.append(dict(self.net.ports.update(service_context(), port["id"],
                                                  {"binding:host_id": host})))
        return out

    def unbind_ports(self, instance_id: str) -> None:
        self.bind_ports(instance_id, "")

    def port_status(self, port_ids: list[str]) -> dict[str, str]:
        out = {}
        for port_id in port_ids:
            try:
                out[port_id] = self.net.ports.get(service_context(), port_id)["status"]
            except CloudError:
                out[port_id] = "GONE"
        return out

    # -- what a server shows ----------------------------------------------------------
    def addresses(self, instance_ids: list[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """instance id -> {network name: [{version, addr, OS-EXT-IPS:type, ...-MAC}]}."""
        ports = self.ports_of(instance_ids)
        names = self._network_names({p["network_id"] for p in ports})
        floating = self._floating_by_port([p["id"] for p in ports])
        out: dict[str, dict[str, list[dict[str, Any]]]] = {i: {} for i in instance_ids}
        for port in sorted(ports, key=lambda p: p.get("created_at") or ""):
            entries = out.setdefault(port["device_id"], {}).setdefault(
                names.get(port["network_id"], port["network_id"]), [])
            for ip in port["fixed_ips"]:
                entries.append(_address(ip["ip_address"], "fixed", port["mac_address"]))
            for address in floating.get(port["id"], []):
                entries.append(_address(address, "floating", port["mac_address"]))
        return out

    def _network_names(self, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        nets = self.net.networks.list(service_context(), self._query(id=sorted(ids)))
        return {n["id"]: n["name"] or n["id"] for n in nets}

    def _floating_by_port(self, port_ids: list[str]) -> dict[str, list[str]]:
        if not port_ids:
            return {}
        out: dict[str, list[str]] = {}
        try:
            fips = self.net.floatingips.list(service_context(), self._query(port_id=port_ids))
        except CloudError:
            return {}
        for fip in fips:
            out.setdefault(fip["port_id"], []).append(fip["floating_ip_address"])
        return out


def _address(addr: str, kind: str, mac: str) -> dict[str, Any]:
    return {"version": 6 if ":" in addr else 4, "addr": addr, "OS-EXT-IPS:type": kind,
            "OS-EXT-IPS-MAC:mac_addr": mac}
