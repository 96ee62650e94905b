"""Networking tables, one module per family; importing this package puts them all on the
shared metadata."""

from nimbus.services.network.models import (  # noqa: F401
    address_groups,
    agents,
    core,
    port_extras,
    qos,
    quotas,
    routers,
    security_groups,
    subnetpools,
    trunks,
)
