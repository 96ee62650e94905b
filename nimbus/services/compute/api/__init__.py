"""Compute API v2.1: the route table and the mount at /compute.

Each family keeps its routes in a module of its own (``api/flavors.py`` ...) exposing
``ROUTES``; this table lists them. Paths are relative to /compute; Nova's resources live
under /v2.1 (the catalog's URL), the version documents at / and /v2.1/.
"""

from __future__ import annotations

from nimbus.kernel.bus import bus_for
from nimbus.kernel.policy import Enforcer
from nimbus.kernel.runtime import Runtime
from nimbus.kernel.web import Route, ServiceApi
from nimbus.services.compute.agents import serve_plugin
from nimbus.services.compute.api import (
    aggregates,
    discovery,
    flavor_specs,
    flavors,
    hypervisors,
    keypairs,
    legacy,
    proxies,
    quotas,
    server_actions,
    server_children,
    server_extras,
    server_groups,
    servers,
    services,
    usage,
)
from nimbus.services.compute.errors import nova_fault
from nimbus.services.compute.policies import RULES
from nimbus.services.compute.service import compute_of
from nimbus.services.compute.versions import COMPUTE

V = "/v2.1"

FAMILY_ROUTES: list[Route] = [
    *servers.ROUTES, *server_actions.ROUTES, *server_children.ROUTES, *server_extras.ROUTES,
    *flavors.ROUTES, *flavor_specs.ROUTES, *keypairs.ROUTES, *server_groups.ROUTES,
    *services.ROUTES, *hypervisors.ROUTES, *aggregates.ROUTES, *quotas.ROUTES,
    *usage.ROUTES, *proxies.ROUTES, *legacy.ROUTES,
]


def routes() -> list[Route]:
    return [
        Route("GET", "/", discovery.list_versions, versioned=False),
        Route("GET", V, discovery.show_v21, versioned=False),
        Route("GET", f"{V}/", discovery.show_v21, versioned=False),
        *FAMILY_ROUTES,
    ]


def build_api(runtime: Runtime) -> ServiceApi:
    settings = runtime.settings
    api = ServiceApi("compute", "/compute", routes(),
                     enforcer=Enforcer(RULES, settings.policy_file("compute")),
                     fault_format=nova_fault, validator=runtime.token_validator,
                     public_url=settings.effective_public_url,
                     max_body=settings.max_request_body_size, flat_targets=True,
                     versions=COMPUTE)
    service = compute_of(runtime)
    api.service = service  # type: ignore[attr-defined]
    if service.bus is None:
        # Every API process takes the agents' reports and calls them.
        service.plugin_consumer = serve_plugin(bus_for(settings), service)
    return api


def extra_apis(runtime: Runtime) -> list[ServiceApi]:
    """The metadata API at /metadata (not in the catalog): guests reach it through the
    network agent's metadata proxies."""
    from nimbus.services.compute.metadata.api import build_metadata_api

    return [build_metadata_api(runtime)]
