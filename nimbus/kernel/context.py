"""The request context: who is calling, in which scope, with which roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

# Values worked out once per request (identity's generation), dropped when it ends.
_memo: ContextVar[dict[str, Any] | None] = ContextVar("nimbus_request_memo", default=None)


@contextmanager
def request_memo() -> Iterator[dict[str, Any]]:
    memo: dict[str, Any] = {}
    token = _memo.set(memo)
    try:
        yield memo
    finally:
        _memo.reset(token)


def current_memo() -> dict[str, Any] | None:
    """The running request's memo; None outside a request (CLI, bootstrap, tests)."""
    return _memo.get()


@dataclass(frozen=True)
class RequestContext:
    """What a validated token says about its bearer; anonymous when ``user_id`` is None."""

    user_id: str | None = None
    user_name: str | None = None
    user_domain_id: str | None = None
    user_domain_name: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    project_domain_id: str | None = None
    project_domain_name: str | None = None
    domain_id: str | None = None
    domain_name: str | None = None
    system_scope: str | None = None
    roles: tuple[str, ...] = ()
    role_ids: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    audit_ids: tuple[str, ...] = ()
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    application_credential_id: str | None = None
    access_rules: tuple[dict[str, Any], ...] | None = None
    is_admin_project: bool = True
    token: str | None = field(default=None, repr=False)
    # Policy decisions this caller was granted (kernel.web.ServiceApi.authorize): a context
    # made from another (dataclasses.replace) starts with none.
    policy_decisions: dict[tuple[Any, ...], bool] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def scope(self) -> str | None:
        if self.system_scope:
            return "system"
        if self.domain_id:
            return "domain"
        if self.project_id:
            return "project"
        return None

    def has_role(self, name: str) -> bool:
        return name.lower() in (r.lower() for r in self.roles)

    def policy_credentials(self) -> dict[str, Any]:
        """The credentials oslo.policy rules read (``user_id``, ``token.project.domain.id``)."""
        token: dict[str, Any] = {
            "user_id": self.user_id,
            "user": {"id": self.user_id, "domain": {"id": self.user_domain_id}},
        }
        if self.project_id:
            token["project"] = {"id": self.project_id, "domain": {"id": self.project_domain_id}}
        if self.domain_id:
            token["domain"] = {"id": self.domain_id}
        return {
            "user_id": self.user_id,
            "user_domain_id": self.user_domain_id,
            "project_id": self.project_id,
            "project_domain_id": self.project_domain_id,
            "domain_id": self.domain_id,
            "system_scope": self.system_scope,
            "roles": list(self.roles),
            "is_admin": False,
            "is_admin_project": self.is_admin_project,
            "token": token,
        }


ANONYMOUS = RequestContext()
