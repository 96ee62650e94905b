"""Query strings and error bodies, as Placement parses and renders them."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from nimbus.kernel.microversion import Version
from nimbus.services.placement.errors import (
    ConcurrentUpdate,
    PlacementBadRequest,
    error_media_type,
    placement_error_body,
    text_error,
)
from nimbus.services.placement.schemas.query import (
    candidate_request,
    parse_member_of,
    parse_resources,
    parse_traits,
)

A, B = "8592a199-7d73-4465-8df6-ab00a6243c82", "ddbd9226-d6a6-475e-a85f-0609914dd058"


def test_resources_and_traits():
    assert parse_resources("VCPU:2,MEMORY_MB:1024") == {"VCPU": 2, "MEMORY_MB": 1024}
    for bad, words in (("", "empty string"), ("VCPU", "Got: VCPU."),
                       ("VCPU:x", "expected positive integer"), ("VCPU:0", "amount >= 1")):
        with pytest.raises(PlacementBadRequest, match=words):
            parse_resources(bad)
    assert parse_traits("A,!B", True, False) == ([{"A"}], {"B"})
    assert parse_traits("in:A,B", True, True) == ([{"A", "B"}], set())
    with pytest.raises(PlacementBadRequest, match="only supported since microversion 1.39"):
        parse_traits("in:A,B", True, False)
    with pytest.raises(PlacementBadRequest, match="Got: !B"):
        parse_traits("!B", False, False)


def test_member_of():
    assert parse_member_of(f"in:{A},{B}") == ({A, B}, set())
    assert parse_member_of(f"!in:{A},{B}") == (set(), {A, B})
    with pytest.raises(PlacementBadRequest, match="must be prefixed"):
        parse_member_of(f"{A},{B}")
    with pytest.raises(PlacementBadRequest, match="valid UUID"):
        parse_member_of("in:nope")


def test_granular_groups_and_request_wide_params():
    query = QueryParams("resources=VCPU:1&resources1=SRIOV_NET_VF:1&required1=CUSTOM_A"
                        f"&member_of1={A}&resources_X=VGPU:1&group_policy=isolate&limit=3"
                        "&root_required=CUSTOM_R,!CUSTOM_F")
    req = candidate_request(query, Version(1, 36))
    assert set(req.groups) == {"", "1", "_X"}
    assert req.groups["1"].use_same_provider and not req.groups[""].use_same_provider
    assert req.groups["1"].member_of == [{A}]
    assert (req.limit, req.group_policy) == (3, "isolate")
    assert (req.root_required, req.root_forbidden) == ({"CUSTOM_R"}, {"CUSTOM_F"})
    with pytest.raises(PlacementBadRequest, match="group_policy"):
        candidate_request(QueryParams("resources1=VCPU:1&resources2=VCPU:1"), Version(1, 25))
    with pytest.raises(PlacementBadRequest, match="Conflicting required and forbidden"):
        candidate_request(QueryParams("resources=VCPU:1&required=A,!A"), Version(1, 22))
    with pytest.raises(PlacementBadRequest, match="same_subtree"):
        candidate_request(QueryParams("resources=VCPU:1&required1=A"), Version(1, 36))


def test_error_body_follows_the_version_and_accept():
    err = ConcurrentUpdate("resource provider generation conflict")
    old = placement_error_body(err, (1, 22), "req-1")["errors"][0]
    assert "code" not in old and old["request_id"] == "req-1"
    new = placement_error_body(err, (1, 23), None)["errors"][0]
    assert new == {"status": 409, "title": "Conflict", "code": "placement.concurrent_update",
                   "detail": "There was a conflict when trying to complete your request."
                             "\n\n resource provider generation conflict  "}
    assert error_media_type(None) == error_media_type("*/*") == "application/json"
    assert error_media_type("text/html") == "text/html"
    assert error_media_type("text/plain") == "text/plain"
    assert "<h1>409 Conflict</h1>" in text_error(err, "text/html")
