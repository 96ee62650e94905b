"""Networking tables, one module per family; importing this package puts them all on the
shared metadata."""

from nimbus.services.network.models import (
    core,  # noqa: F401
    subnetpools,  # noqa: F401
)
