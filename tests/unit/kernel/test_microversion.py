"""Microversion negotiation as Nova, Placement and Cinder do it."""

from __future__ import annotations

import pytest

from nimbus.kernel.errors import BadRequest, NotAcceptable
from nimbus.kernel.microversion import ByVersion, Version, VersionedApi, since

NOVA = VersionedApi("compute", "2.1", "2.96", legacy_header="X-OpenStack-Nova-API-Version")
PLACEMENT = VersionedApi("placement", "1.0", "1.39")


@pytest.mark.parametrize("headers, expected", [
    ({}, "2.1"),
    ({"OpenStack-API-Version": "compute 2.53"}, "2.53"),
    ({"openstack-api-version": "compute 2.53"}, "2.53"),
    ({"OpenStack-API-Version": "compute latest"}, "2.96"),
    ({"OpenStack-API-Version": "placement 1.2, compute 2.60"}, "2.60"),
    ({"X-OpenStack-Nova-API-Version": "2.10"}, "2.10"),
    ({"OpenStack-API-Version": "compute 2.20", "X-OpenStack-Nova-API-Version": "2.10"}, "2.20"),
    # A header for another service leaves compute at its legacy header or minimum.
    ({"OpenStack-API-Version": "volume 3.5"}, "2.1"),
])
def test_negotiation(headers: dict[str, str], expected: str) -> None:
    assert str(NOVA.negotiate(headers)) == expected


@pytest.mark.parametrize("value", ["2.97", "3.0", "1.9", "2.0"])
def test_out_of_range_is_406_with_the_range_named(value: str) -> None:
    with pytest.raises(NotAcceptable) as caught:
        NOVA.negotiate({"OpenStack-API-Version": f"compute {value}"})
    assert caught.value.status == 406
    assert "Minimum is 2.1 and maximum is 2.96" in str(caught.value)


@pytest.mark.parametrize("value", ["2", "two.one", "2.01", "02.1", "2.1.1", "", "-2.1"])
def test_malformed_is_400(value: str) -> None:
    with pytest.raises(BadRequest):
        NOVA.negotiate({"X-OpenStack-Nova-API-Version": value})


def test_placement_has_no_legacy_header_and_starts_at_1_0() -> None:
    assert str(PLACEMENT.negotiate({"X-OpenStack-Nova-API-Version": "2.5"})) == "1.0"
    assert str(PLACEMENT.negotiate({"OpenStack-API-Version": "placement 1.39"})) == "1.39"


def test_response_headers_and_vary() -> None:
    headers = NOVA.response_headers(Version(2, 53))
    assert headers["OpenStack-API-Version"] == "compute 2.53"
    assert headers["X-OpenStack-Nova-API-Version"] == "2.53"
    assert headers["Vary"] == "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
    assert PLACEMENT.response_headers(Version(1, 10)) == {
        "OpenStack-API-Version": "placement 1.10", "Vary": "OpenStack-API-Version"}


def test_versions_compare_numerically() -> None:
    assert Version.parse("2.10") > Version.parse("2.9")
    assert Version.parse("2.9").matches("2.1", "2.10")
    assert not Version.parse("2.11").matches("2.1", "2.10")
    assert since(Version.parse("2.47"), "2.47") and not since(Version.parse("2.46"), "2.47")


def test_by_version_picks_the_range_and_refuses_overlaps() -> None:
    table = ByVersion([("2.1", "2.46", "flavor-by-link"), ("2.47", None, "flavor-embedded")])
    assert table.pick(Version(2, 1)) == "flavor-by-link"
    assert table.pick(Version(2, 46)) == "flavor-by-link"
    assert table.pick(Version(2, 90)) == "flavor-embedded"
    gap = ByVersion([("2.1", "2.10", "a"), ("2.20", None, "b")])
    assert gap.pick(Version(2, 15)) is None
    with pytest.raises(ValueError):
        ByVersion([("2.1", "2.50", "a"), ("2.47", None, "b")])
