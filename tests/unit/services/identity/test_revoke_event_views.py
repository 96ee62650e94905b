"""OS-REVOKE events as Keystone renders them, and the auth checks for names and domains."""

from __future__ import annotations

import datetime as dt

import pytest

from nimbus.services.identity.models import RevocationEvent
from nimbus.services.identity.schemas.auth import check_named_refs
from nimbus.services.identity.service.catalog import ReferenceNotFound
from nimbus.services.identity.service.revoke_events import event_view

AT = dt.datetime(2026, 12, 1, 10, 0, 5)


def test_an_event_shows_only_what_it_has():
    event = RevocationEvent(user_id="u", issued_before=AT, revoked_at=AT)
    assert event_view(event) == {"user_id": "u", "issued_before": "2026-12-01T10:00:05.000000Z",
                                 "revoked_at": "2026-12-01T10:00:05.000000Z"}


def test_trust_and_oauth_ids_carry_their_extension_prefix():
    event = RevocationEvent(trust_id="t", consumer_id="c", access_token_id="a",
                            expires_at=AT, issued_before=AT, revoked_at=AT)
    view = event_view(event)
    assert view["OS-TRUST:trust_id"] == "t" and view["OS-OAUTH1:consumer_id"] == "c"
    assert view["OS-OAUTH1:access_token_id"] == "a"
    assert view["expires_at"] == "2026-12-01T10:00:05Z"
    assert "trust_id" not in view


def password_auth(user: dict, scope: dict | None = None) -> dict:
    auth: dict = {"identity": {"methods": ["password"], "password": {"user": user}}}
    if scope:
        auth["scope"] = scope
    return auth


@pytest.mark.parametrize("auth, target", [
    (password_auth({"name": "u", "password": "p"}), "user"),
    (password_auth({"id": "u", "password": "p"}, {"project": {"name": "p"}}), "project"),
    ({"identity": {"methods": ["application_credential"], "application_credential": {
        "name": "ac", "secret": "s", "user": {"name": "u"}}}}, "user"),
])
def test_a_name_needs_its_domain(auth, target):
    with pytest.raises(ReferenceNotFound) as refused:
        check_named_refs(auth)
    assert refused.value.message.startswith(f"Expecting to find domain in {target}.")


@pytest.mark.parametrize("auth", [
    password_auth({"id": "u", "password": "p"}, {"project": {"id": "p"}}),
    password_auth({"name": "u", "domain": {"id": "d"}, "password": "p"},
                  {"project": {"name": "p", "domain": {"name": "d"}}}),
    {"identity": {"methods": ["application_credential"], "application_credential": {
        "id": "ac", "secret": "s"}}},
    {"identity": {"methods": ["application_credential"], "application_credential": {
        "name": "ac", "secret": "s", "user": {"id": "u"}}}},
])
def test_ids_or_domains_pass(auth):
    check_named_refs(auth)
