"""Compute API test fixtures; each family keeps its own in _<family>_fixtures.py."""

from tests.api.compute._resources_fixtures import (  # noqa: F401
    compute_store,
    make_host,
    member,
    nova,
    nova_latest,
)
