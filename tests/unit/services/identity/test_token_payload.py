"""The Fernet payload carries a token's trust and OAuth access token; payloads of tokens
issued before (without them) still decode."""

from __future__ import annotations

import datetime as dt
import json

from nimbus.kernel.keys import KeyRepository
from nimbus.services.identity.service.tokens import Scope, TokenData, Tokens


def make_tokens(tmp_path) -> Tokens:
    tokens = Tokens.__new__(Tokens)
    tokens.keys = KeyRepository(tmp_path / "keys")
    tokens.keys.ensure()
    return tokens


def data(**extra) -> TokenData:
    now = dt.datetime(2030, 1, 1, 12, 0, 0)
    return TokenData(user_id="u", methods=("password",), scope=Scope("project", "p"),
                     expires_at=now, audit_ids=("a",), issued_at=now, **extra)


def test_trust_and_access_token_round_trip(tmp_path):
    tokens = make_tokens(tmp_path)
    decoded = tokens.decode(tokens.encode(data(trust_id="t1")))
    assert decoded.trust_id == "t1" and decoded.access_token_id is None
    decoded = tokens.decode(tokens.encode(data(access_token_id="at1")))
    assert decoded.access_token_id == "at1" and decoded.trust_id is None


def test_a_payload_without_delegation_still_decodes(tmp_path):
    tokens = make_tokens(tmp_path)
    expires = int(dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp())
    old = json.dumps([1, "u", ["password"], "project", "p", expires, ["a"], None]).encode()
    token = tokens.keys.fernet().encrypt(old).decode().rstrip("=")
    decoded = tokens.decode(token)
    assert decoded.user_id == "u" and decoded.trust_id is None
    assert decoded.access_token_id is None
