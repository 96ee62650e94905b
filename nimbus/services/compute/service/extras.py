"""Interfaces (os-interface), security groups of a server, consoles, the server password and
diagnostics: the smaller things a server offers."""

from __future__ import annotations

import secrets
from typing import Any

from nimbus.agents.compute import messages as m
from nimbus.kernel.context import RequestContext
from nimbus.kernel.db import utcnow
from nimbus.kernel.errors import BadRequest, Conflict, NotFound
from nimbus.services.compute.models.servers import Instance
from nimbus.services.compute.service import records, states
from nimbus.services.compute.service.networking import RequestedNic, service_context
from nimbus.services.compute.service.states import ACTIVE, PAUSED, RESCUED, STOPPED, SUSPENDED

INTERFACE_STATES = (ACTIVE, PAUSED, STOPPED)
CONSOLE_STATES = (ACTIVE, PAUSED, RESCUED, STOPPED, SUSPENDED)


class ServerExtras:
    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.db = compute.db

    def _row(self, ctx: RequestContext, server_id: str, action: str | None = None,
             vm_states: tuple[str, ...] | None = None, request_id: str | None = None
             ) -> tuple[str, str]:
        """(host, project) of a server the caller may change, after its state check."""
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            if action:
                self.compute.servers.check_unlocked(ctx, row)
                states.check_state(action, row.id, row.vm_state, row.task_state, vm_states)
                records.start_action(s, row, action, ctx, request_id)
            return str(row.host or ""), row.project_id

    # -- interfaces -------------------------------------------------------------------------
    def interfaces(self, ctx: RequestContext, server_id: str) -> list[dict[str, Any]]:
        self._row(ctx, server_id)
        return self.compute.networking.ports_of([server_id])

    def attach(self, ctx: RequestContext, server_id: str, nic: RequestedNic,
               request_id: str | None) -> dict[str, Any]:
        host, project = self._row(ctx, server_id, "attach_interface", INTERFACE_STATES,
                                  request_id)
        self.compute.networking.check_requested(ctx, [nic])
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            assert row is not None
            view = {"id": row.id, "project_id": project,
                    "availability_zone": row.availability_zone}
        port = self.compute.networking.make_ports(ctx, view, host, [nic], None)[0]
        try:
            self.compute.agent_api.attach_interface(host, server_id, m.Nic(
                port_id=port["id"], mac=port["mac_address"], network_id=port["network_id"]))
        except Exception as err:
            self.compute.networking.release_ports(server_id, [port])
            raise Conflict(f"Failed to attach network adapter device to {server_id}: "
                           f"{err}") from err
        return port

    def detach(self, ctx: RequestContext, server_id: str, port_id: str,
               request_id: str | None) -> None:
        host, _project = self._row(ctx, server_id, "detach_interface", INTERFACE_STATES,
                                   request_id)
        ports = [p for p in self.compute.networking.ports_of([server_id])
                 if p["id"] == port_id]
        if not ports:
            raise NotFound(f"Port {port_id} is not attached")
        try:
            self.compute.agent_api.detach_interface(host, server_id, port_id)
        except Exception as err:
            raise Conflict(f"Failed to detach network adapter device from {server_id}: "
                           f"{err}") from err
        self.compute.networking.release_ports(server_id, ports)

    # -- security groups --------------------------------------------------------------------
    def security_groups(self, ctx: RequestContext, server_id: str) -> list[dict[str, Any]]:
        self._row(ctx, server_id)
        ids = {g for p in self.compute.networking.ports_of([server_id])
               for g in p.get("security_groups", [])}
        net = self.compute.networking.net
        return [net.security_groups.get(service_context(), g) for g in sorted(ids)]

    def change_group(self, ctx: RequestContext, server_id: str, name: str, add: bool,
                     request_id: str | None) -> None:
        self._row(ctx, server_id, "addSecurityGroup" if add else "removeSecurityGroup",
                  None, request_id)
        ids = self.compute.networking.security_group_ids(ctx, [name])
        if not ids:     # "default" before Networking made it: make it by naming it
            ids = [self._default_group(ctx)]
        ports = self.compute.networking.ports_of([server_id])
        if not ports:
            raise BadRequest(f"Server {server_id} has no ports to put in security group "
                             f"{name}.")
        net = self.compute.networking.net
        for port in ports:
            have = list(port.get("security_groups") or [])
            if add and ids[0] in have:
                raise BadRequest(f"Security group {name} is already associated with the "
                                 "instance")
            if not add and ids[0] not in have:
                raise BadRequest(f"Security group {name} not associated with the instance")
            wanted = have + ids if add else [g for g in have if g != ids[0]]
            net.ports.update(service_context(), port["id"], {"security_groups": wanted})
        self._record_group_names(server_id, name, add)

    def _default_group(self, ctx: RequestContext) -> str:
        net = self.compute.networking.net
        with net.db.session() as s:
            return str(net.security_groups.default_for(s, ctx.project_id or ""))

    def _record_group_names(self, server_id: str, name: str, add: bool) -> None:
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            if row is None:
                return
            names = [n for n in row.security_groups or [] if n != name]
            row.security_groups = names + [name] if add else names
            row.updated_at = utcnow()

    # -- consoles, password, diagnostics ---------------------------------------------------
    def console(self, ctx: RequestContext, server_id: str, protocol: str, kind: str
                ) -> dict[str, Any]:
        host, _project = self._row(ctx, server_id)
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            assert row is not None
            states.check_state("get_console", row.id, row.vm_state, row.task_state,
                               CONSOLE_STATES, (None, states.ANY_TASK))
        agent_kind = "novnc" if protocol == "vnc" else "serial"
        info = self.compute.agent_api.console(host, server_id, agent_kind)
        base = self.compute.runtime.settings.effective_public_url.rstrip("/")
        token = secrets.token_urlsafe(24)
        if agent_kind == "novnc":
            url = f"{base}/compute/vnc_lite.html?path=%3Ftoken%3D{token}"
        else:
            url = f"ws://{base.split('://', 1)[-1]}/compute/serial/?token={token}"
        return {"protocol": protocol, "type": kind, "url": url, "host": info.host,
                "port": info.port}

    def password(self, ctx: RequestContext, server_id: str) -> str:
        with self.db.session() as s:
            return str(self.compute.servers.row(s, ctx, server_id).password or "")

    def clear_password(self, ctx: RequestContext, server_id: str) -> None:
        with self.db.session() as s:
            row = self.compute.servers.row(s, ctx, server_id)
            row.password = ""
            row.updated_at = utcnow()

    def diagnostics(self, ctx: RequestContext, server_id: str) -> m.Diagnostics:
        host, _project = self._row(ctx, server_id)
        with self.db.session() as s:
            row = s.get(Instance, server_id)
            assert row is not None
            states.check_state("get_diagnostics", row.id, row.vm_state, row.task_state,
                               (ACTIVE, PAUSED, RESCUED, STOPPED, SUSPENDED),
                               (None, states.ANY_TASK))
        return self.compute.agent_api.diagnostics(host, server_id)  # type: ignore
