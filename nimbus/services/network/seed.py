"""What ``nimbus up`` makes once: the all-in-one external network ``public`` (DevStack's),
a flat network on the physical network ``public`` with a subnet whose gateway the host holds
(``[network] public_*``), so the host reaches floating IPs. Nothing is forwarded from it to
the host's uplink unless ``masquerade_interface`` is set. Then, as DevStack leaves a cloud
ready to boot, the admin project's ``private`` network and ``private-subnet``
(``[network] private_cidr``) behind ``router1``, whose gateway is on ``public``. Each is
made once: a marker in the data dir remembers it, so what a user deletes stays deleted."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select

from nimbus.kernel.context import RequestContext
from nimbus.kernel.runtime import Runtime
from nimbus.services.network.models.core import Network
from nimbus.services.network.schemas.attrs import with_defaults
from nimbus.services.network.schemas.networks import NETWORK
from nimbus.services.network.schemas.routers import ROUTER
from nimbus.services.network.schemas.subnets import SUBNET
from nimbus.services.network.service import network_of

log = logging.getLogger("nimbus.network")
PUBLIC = "public"
PHYSNET = "public"


def ensure_public_network(runtime: Runtime, admin_project_id: str) -> str | None:
    """The id of ``public``, made now if this cloud has none; None when switched off."""
    options = runtime.settings.network
    if not options.public_network:
        return None
    service = network_of(runtime)
    with service.db.session() as s:
        found = s.scalar(select(Network.id).where(Network.name == PUBLIC,
                                                  Network.router_external.is_(True),
                                                  Network.project_id == admin_project_id))
    if found:
        return found
    ctx = RequestContext(user_id="nimbus-setup", project_id=admin_project_id,
                         roles=("admin", "member", "reader"))
    network = service.networks.create(ctx, with_defaults(NETWORK, {
        "name": PUBLIC, "project_id": admin_project_id, "router:external": True,
        "provider:network_type": "flat", "provider:physical_network": PHYSNET,
        "description": "The all-in-one external network (floating IPs)"}))
    service.subnets.create(ctx, with_defaults(SUBNET, {
        "name": "public-subnet", "project_id": admin_project_id, "network_id": network["id"],
        "ip_version": 4, "cidr": options.public_cidr, "gateway_ip": options.public_gateway,
        "enable_dhcp": False, "allocation_pools": [
            {"start": options.public_pool_start, "end": options.public_pool_end}]}))
    log.info("made the external network %s (%s)", PUBLIC, options.public_cidr)
    return str(network["id"])


PRIVATE = "private"
ROUTER_NAME = "router1"


def _marker(runtime: Runtime) -> Path:
    return runtime.settings.data_dir / "seeded" / "private-network"


def ensure_private_network(runtime: Runtime, admin_project_id: str,
                           public_id: str | None) -> str | None:
    """The id of ``private`` when made now; None when it was made before, is switched
    off, or there is no ``public`` for its router."""
    options, marker = runtime.settings.network, _marker(runtime)
    if not options.private_network or public_id is None or marker.exists():
        return None
    service = network_of(runtime)
    ctx = RequestContext(user_id="nimbus-setup", project_id=admin_project_id,
                         roles=("admin", "member", "reader"))
    network = service.networks.create(ctx, with_defaults(NETWORK, {
        "name": PRIVATE, "project_id": admin_project_id,
        "description": "The admin project's network (nimbus up)"}))
    subnet = service.subnets.create(ctx, with_defaults(SUBNET, {
        "name": "private-subnet", "project_id": admin_project_id,
        "network_id": network["id"], "ip_version": 4, "cidr": options.private_cidr}))
    router = service.routers.create(ctx, with_defaults(ROUTER, {
        "name": ROUTER_NAME, "project_id": admin_project_id,
        "external_gateway_info": {"network_id": public_id}}))
    service.routers.add_interface(ctx, router["id"], {"subnet_id": subnet["id"]})
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{network['id']}\n")
    log.info("made the network %s (%s) behind %s", PRIVATE, options.private_cidr,
             ROUTER_NAME)
    return str(network["id"])
