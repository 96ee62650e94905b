"""Glance's faults follow Accept as webob's do."""

from __future__ import annotations

import json

import pytest
from starlette.datastructures import Headers

from nimbus.services.image.errors import UnknownStore
from nimbus.services.image.faults import best_offer, glance_fault_response


@pytest.mark.parametrize("accept,chosen", [
    ("*/*", "text/html"),
    ("application/json", "application/json"),
    ("application/json, */*;q=0.5", "application/json"),
    ("text/*;q=0.2, application/json;q=0.9", "application/json"),
    ("text/plain", None),
    ("", None),
    (None, None),
    ("application/json;q=0", None),
])
def test_best_offer(accept, chosen):
    assert best_offer(accept, ("text/html", "application/json")) == chosen


def test_the_three_bodies():
    err = UnknownStore("a'b<c>")
    page, media = glance_fault_response(err, Headers({"accept": "*/*"}))
    assert media == "text/html"
    assert "<title>400 Bad Request</title>" in page.decode()
    assert "Unknown scheme &#x27;a&#x27;b&lt;c&gt;&#x27; found in URI" in page.decode()
    body, media = glance_fault_response(err, Headers({"accept": "application/json"}))
    assert media == "application/json"
    assert json.loads(body) == {"message": "Unknown scheme 'a'b<c>' found in URI",
                                "code": "400 Bad Request", "title": "Bad Request"}
    text, media = glance_fault_response(err, Headers({}))
    assert (media, text.decode().splitlines()[0]) == ("text/plain", "400 Bad Request")
