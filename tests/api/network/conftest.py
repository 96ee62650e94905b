"""Network API test fixtures; each family keeps its own in _<family>_fixtures.py."""

from tests.api.network._subnets_fixtures import cleanup, make_network  # noqa: F401
