"""Networking tables, one module per family; importing this package puts them all on the
shared metadata."""

from nimbus.services.network.models import (  # noqa: F401
    core,
    port_extras,
    routers,
    security_groups,
    subnetpools,
    trunks,
)
