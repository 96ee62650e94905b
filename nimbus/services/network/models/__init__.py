"""Networking tables, one module per family; importing this package puts them all on the
shared metadata."""

from nimbus.services.network.models import core, routers, security_groups  # noqa: F401
