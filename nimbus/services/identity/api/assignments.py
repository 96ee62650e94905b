"""(being written)"""

from __future__ import annotations

from nimbus.kernel.web import Route

ROUTES: list[Route] = []
