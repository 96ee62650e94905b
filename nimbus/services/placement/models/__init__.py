"""Placement tables; importing this package puts them on the shared metadata."""

from nimbus.services.placement.models import core  # noqa: F401
