"""Compute's microversion range (kernel/microversion.py does the negotiation)."""

from __future__ import annotations

from nimbus.kernel.microversion import VersionedApi

COMPUTE = VersionedApi("compute", "2.1", "2.96", legacy_header="X-OpenStack-Nova-API-Version")
