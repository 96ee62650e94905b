"""Networking tables, one module per family; importing this package puts them all on the
shared metadata."""

from nimbus.services.network.models import address_groups, core, security_groups  # noqa: F401
