"""Token authentication, shared by every API: validate once per request, cached."""

from __future__ import annotations

from typing import Protocol

from nimbus.kernel.context import RequestContext


class TokenValidator(Protocol):
    """Turns a token into a context, or raises Unauthorized / NotFound."""

    def context_for(self, token: str) -> RequestContext: ...


class NoValidator:
    def context_for(self, token: str) -> RequestContext:
        from nimbus.kernel.errors import Unauthorized

        raise Unauthorized()
