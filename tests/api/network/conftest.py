"""Fixtures every network API test may use (made in _subnets_fixtures.py)."""

from tests.api.network._subnets_fixtures import cleanup, make_network  # noqa: F401
