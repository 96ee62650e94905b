"""Fixtures of the subnet family's tests: networks (and what hangs off them) made through
openstacksdk and removed after the test, and a raw Neutron client call that returns the
status and fault body (for the error cases the SDK turns into exceptions)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.conftest import unique


@pytest.fixture
def make_network(admin: Any) -> Iterator[Callable[..., Any]]:
    """make_network(conn=admin, **attrs): a network, deleted (with its subnets) after."""
    made: list[tuple[Any, Any]] = []

    def make(conn: Any = None, **kw: Any) -> Any:
        conn = conn or admin
        kw.setdefault("name", unique("net"))
        network = conn.network.create_network(**kw)
        made.append((conn, network))
        return network

    yield make
    for _conn, network in reversed(made):
        try:
            for port in admin.network.ports(network_id=network.id):
                admin.network.delete_port(port, ignore_missing=True)
        except Exception:  # noqa: BLE001 - no ports API on this branch yet
            pass
        admin.network.delete_network(network, ignore_missing=True)


@pytest.fixture
def cleanup(admin: Any) -> Iterator[Callable[[Callable[[], Any]], None]]:
    """cleanup(fn): run fn after the test (last registered first), ignoring failures."""
    todo: list[Callable[[], Any]] = []
    yield todo.append
    for fn in reversed(todo):
        try:
            fn()
        except Exception:
            pass


def neutron(conn: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A raw call on the network endpoint: (status, JSON body or None)."""
    resp = conn.network.request(path, method, json=body, raise_exc=False)
    try:
        return resp.status_code, resp.json()
    except ValueError:
        return resp.status_code, None


def fault(conn: Any, method: str, path: str, body: Any = None) -> tuple[int, str, str]:
    """(status, NeutronError type, message) of a call expected to fail."""
    status, doc = neutron(conn, method, path, body)
    err = (doc or {}).get("NeutronError", {})
    return status, err.get("type", ""), err.get("message", "")
