"""Networking tables, one module per family; importing this package puts them all on the
shared metadata."""

from nimbus.services.network.models import (  # noqa: F401
    agents,
    core,
    port_extras,
    qos,
    quotas,
    security_groups,
    subnetpools,
    trunks,
)
