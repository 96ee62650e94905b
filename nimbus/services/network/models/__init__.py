"""Networking tables, one module per family; importing this package puts them all on the
shared metadata."""

from nimbus.services.network.models import (
    agents,  # noqa: F401
    core,  # noqa: F401
    qos,  # noqa: F401
    quotas,  # noqa: F401
)
