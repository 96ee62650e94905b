"""Compute tables, one module a family; importing this package puts them all on the shared
metadata. Each family's tables come with a revision of the ``compute`` branch in
``migrations/`` (down_revision ``compute_0001``)."""

from nimbus.services.compute.models import (  # noqa: F401, E402
    flavors,
    hosts,
    keypairs,
    quotas,
    server_groups,
    servers,
)
