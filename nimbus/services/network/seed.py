"""What ``nimbus up`` makes once: the all-in-one external network ``public`` (DevStack's),
a flat network on the physical network ``public`` with a subnet whose gateway the host holds
(``[network] public_*``), so the host reaches floating IPs. Nothing is forwarded from it to
the host's uplink unless ``masquerade_interface`` is set."""

from __future__ import annotations

import logging

from sqlalchemy import select

from nimbus.kernel.context import RequestContext
from nimbus.kernel.runtime import Runtime
from nimbus.services.network.models.core import Network
from nimbus.services.network.schemas.attrs import with_defaults
from nimbus.services.network.schemas.networks import NETWORK
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
