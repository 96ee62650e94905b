"""Networking API v2.0: the route table and the mount at /network.

Every resource goes through the one controller in ``api/resource.py``, driven by its
attribute map in ``schemas/``; a family adds its ``ResourceDef`` to ``RESOURCES`` (CRUD and
tag routes follow) and any extra routes (actions, sub-resources) to ``EXTRA_ROUTES``.
"""

from __future__ import annotations

from nimbus.kernel.bus import bus_for
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import Route, ServiceApi
from nimbus.services.network.agents import serve_plugin
from nimbus.services.network.api import address_groups, discovery, trunks
from nimbus.services.network.api import agents as agents_api
from nimbus.services.network.api import qos as qos_api
from nimbus.services.network.api import quotas as quotas_api
from nimbus.services.network.api import subnetpools as subnetpool_actions
from nimbus.services.network.api.resource import ANY_CALLER, crud_routes
from nimbus.services.network.api.routers import floating_routes, router_routes
from nimbus.services.network.api.tags import tag_routes
from nimbus.services.network.errors import neutron_fault
from nimbus.services.network.policies import RULES
from nimbus.services.network.schemas.address_groups import ADDRESS_GROUP
from nimbus.services.network.schemas.agents import AGENT, AVAILABILITY_ZONE
from nimbus.services.network.schemas.attrs import ResourceDef
from nimbus.services.network.schemas.networks import NETWORK
from nimbus.services.network.schemas.ports import PORT
from nimbus.services.network.schemas.qos import QOS_POLICY
from nimbus.services.network.schemas.rbac import NETWORK_IP_AVAILABILITY, RBAC_POLICY
from nimbus.services.network.schemas.routers import FLOATINGIP
from nimbus.services.network.schemas.security_groups import SECURITY_GROUP, SECURITY_GROUP_RULE
from nimbus.services.network.schemas.subnetpools import ADDRESS_SCOPE, SUBNETPOOL
from nimbus.services.network.schemas.subnets import SUBNET
from nimbus.services.network.schemas.trunks import TRUNK
from nimbus.services.network.service import network_of

RESOURCES: list[ResourceDef] = [NETWORK, SUBNET, PORT, SUBNETPOOL, ADDRESS_SCOPE, RBAC_POLICY,
                                TRUNK, QOS_POLICY, SECURITY_GROUP, SECURITY_GROUP_RULE,
                                ADDRESS_GROUP, FLOATINGIP]

EXTRA_ROUTES: list[Route] = [*subnetpool_actions.ROUTES, *trunks.ROUTES, *quotas_api.ROUTES,
                             *qos_api.ROUTES, *agents_api.ROUTES, *address_groups.ROUTES,
                             *crud_routes(AGENT, verbs="LSUD"),
                             *crud_routes(AVAILABILITY_ZONE, verbs="L")]
# Routers: their CRUD too (the gateway's sub-attribute policy), actions and tags.
EXTRA_ROUTES.extend(router_routes() + floating_routes())


def routes() -> list[Route]:
    table = [
        Route("GET", "/", discovery.list_versions),
        Route("GET", "/v2.0", discovery.show_v2),
        Route("GET", "/v2.0/", discovery.show_v2),
        Route("GET", "/v2.0/extensions", discovery.list_extensions, ANY_CALLER),
        Route("GET", "/v2.0/extensions/{alias}", discovery.show_extension, ANY_CALLER),
        *EXTRA_ROUTES,
    ]
    table.extend(crud_routes(NETWORK_IP_AVAILABILITY, verbs="LS"))
    for rd in RESOURCES:
        table.extend(crud_routes(rd))
        if rd.taggable:
            table.extend(tag_routes(rd))
    return table


def build_api(runtime: Runtime) -> ServiceApi:
    settings = runtime.settings
    api = ServiceApi("network", "/network", routes(),
                     enforcer=Enforcer(RULES, settings.policy_file("network")),
                     fault_format=neutron_fault, validator=runtime.token_validator,
                     public_url=settings.effective_public_url,
                     max_body=settings.max_request_body_size, flat_targets=True)
    service = network_of(runtime)
    api.service = service  # type: ignore[attr-defined]
    if service.bus is None:
        # Every API process answers the agents (and tells them what changed).
        service.plugin_consumer = serve_plugin(bus_for(settings), service)
    return api
