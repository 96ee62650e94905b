"""Compute API test fixtures; each family keeps its own in _<family>_fixtures.py."""

from tests.api.compute._resources_fixtures import (  # noqa: F401
    compute_store,
    make_host,
    member,
    nova,
    nova_latest,
)
from tests.api.compute._servers_fixtures import (  # noqa: F401
    boot_image,
    boot_network,
    compute_user,
    make_server,
)
