"""os-simple-tenant-usage and os-migrations: Nova's shapes and rules. They answer empty lists
until the servers engineer registers the providers (service/usage.py); the provider hand-off
is proven here with a stand-in registered on the test's own facade."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.services.compute.service.usage import Usage
from tests.api.compute._resources_fixtures import fault, raw

PERIOD = "start=2026-01-01T00:00:00&end=2026-01-02T00:00:00"


def test_tenant_usage_shapes(admin: Any, member: Any, nova: Any) -> None:
    listed = raw(admin, "get", f"/os-simple-tenant-usage?{PERIOD}&detailed=1").json()
    assert listed == {"tenant_usages": []}
    paged = raw(admin, "get", f"/os-simple-tenant-usage?{PERIOD}&limit=1", "2.40").json()
    assert paged == {"tenant_usages": []}
    own = raw(member.conn, "get", f"/os-simple-tenant-usage/{member.project.id}?{PERIOD}")
    assert own.json() == {"tenant_usage": {}}
    assert fault(raw(member.conn, "get", f"/os-simple-tenant-usage?{PERIOD}"), 403)
    backwards = "start=2026-01-02T00:00:00&end=2026-01-01T00:00:00"
    assert "start time" in fault(raw(admin, "get", f"/os-simple-tenant-usage?{backwards}"),
                                 400)
    assert fault(raw(admin, "get", "/os-simple-tenant-usage?start=yesterday"), 400)
    day = dt.datetime(2026, 1, 1)
    assert nova.usage.list(day, day + dt.timedelta(days=1)) == []
    assert [u for u in admin.compute.usages()] == []  # noqa: C416


def test_migrations_shapes(admin: Any, member: Any, nova: Any) -> None:
    assert raw(admin, "get", "/os-migrations").json() == {"migrations": []}
    assert raw(admin, "get", "/os-migrations", "2.59").json() == \
        {"migrations": [], "migrations_links": []}
    assert nova.migrations.list() == []
    assert fault(raw(member.conn, "get", "/os-migrations"), 403)
    assert list(admin.compute.migrations()) == []


class _Servers:
    def count(self, project_id: str, user_id: str | None) -> dict[str, int]:
        return {"instances": 2, "cores": 3, "ram": 1024}

    def usage(self, start: Any, end: Any, project_id: str | None,
              detailed: bool) -> list[dict[str, Any]]:
        return [{"tenant_id": project_id or "p", "total_hours": 1.0}]


def test_registered_providers_feed_usage_and_quotas() -> None:
    usage = Usage()
    assert usage.servers("p") == {"instances": 0, "cores": 0, "ram": 0}
    servers = _Servers()
    usage.register(servers, tenant_usage=servers)
    assert usage.servers("p") == {"instances": 2, "cores": 3, "ram": 1024}
    assert usage.usages(None, None, "p", False) == [  # type: ignore[arg-type]
        {"tenant_id": "p", "total_hours": 1.0}]
    assert usage.migrations({}) == [] and usage.servers_on_host("h") == []
