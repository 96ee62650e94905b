"""The pure parts of OS-EP-FILTER: filter matching and catalog filtering."""

from __future__ import annotations

from typing import Any

import pytest

from nimbus.services.identity.api.ep_filter import require_valid_filters
from nimbus.services.identity.models import Endpoint
from nimbus.services.identity.service.catalog import ReferenceNotFound
from nimbus.services.identity.service.ep_filter import EndpointFilter, matches


def endpoint(**kw: Any) -> Endpoint:
    fields = {"id": "e", "service_id": "s", "region_id": "r", "interface": "public",
              "url": "http://x/", "enabled": True}
    return Endpoint(**{**fields, **kw})


def test_every_filter_key_must_match():
    ep = endpoint()
    assert matches(ep, {"service_id": "s"})
    assert matches(ep, {"service_id": "s", "interface": "public", "region_id": "r"})
    assert not matches(ep, {"service_id": "s", "interface": "admin"})
    assert not matches(endpoint(region_id=None), {"region_id": "r"})
    assert matches(endpoint(region_id=None), {"region_id": None})


def test_only_service_region_and_interface_filter():
    require_valid_filters({"service_id": "s", "region_id": None, "interface": "public"})
    for bad in ({"enabled": True}, {"url": "x"}):
        with pytest.raises(ReferenceNotFound) as refused:
            require_valid_filters(bad)
        assert refused.value.message.startswith(
            "Expecting to find service_id or region_id or interface in endpoint_group.")


def filter_with(allowed: frozenset[str]) -> EndpointFilter:
    ep_filter = EndpointFilter.__new__(EndpointFilter)
    ep_filter.endpoint_ids_for_catalog = lambda project_id: allowed  # type: ignore[method-assign]
    return ep_filter


CATALOG = [{"type": "a", "endpoints": [{"id": "a1"}, {"id": "a2"}]},
           {"type": "b", "endpoints": [{"id": "b1"}]}]


def test_no_association_keeps_the_whole_catalog():
    assert filter_with(frozenset()).filter_catalog("p", CATALOG) == CATALOG
    assert filter_with(frozenset({"a1"})).filter_catalog(None, CATALOG) == CATALOG


def test_associations_keep_their_endpoints_and_drop_empty_services():
    kept = filter_with(frozenset({"a2"})).filter_catalog("p", CATALOG)
    assert kept == [{"type": "a", "endpoints": [{"id": "a2"}]}]
    assert CATALOG[0]["endpoints"] == [{"id": "a1"}, {"id": "a2"}]  # the cached one intact

