"""Networking tables, one module per family; importing this package puts them all on the
shared metadata."""

from nimbus.services.network.models import core, security_groups  # noqa: F401
