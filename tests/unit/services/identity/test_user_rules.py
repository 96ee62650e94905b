"""The pure parts of users: filters, options, the token cut-off, the request split."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from nimbus.services.identity.errors import SchemaError
from nimbus.services.identity.models import User
from nimbus.services.identity.schemas import validate
from nimbus.services.identity.schemas.users import (
    USER_CREATE,
    expiry_filter,
    user_fields,
    wire_time,
)
from nimbus.services.identity.service.users import merge_options, name_conditions, next_second


def sql(query: dict[str, str]) -> str:
    stmt = select(User.id).where(*name_conditions(User.name, query))
    return str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def test_name_filters_become_like_patterns():
    assert "identity_user.name = 'bob'" in sql({"name": "bob"})
    assert "LIKE '%ob%'" in sql({"name__contains": "ob"})
    assert "lower(identity_user.name) LIKE 'bo%'" in sql({"name__istartswith": "BO"})
    assert "LIKE '%b'" in sql({"name__endswith": "b"})
    # Wildcards in the value match themselves only.
    assert "LIKE '%50\\%%'" in sql({"name__contains": "50%"})
    assert "WHERE" not in sql({"other": "x"})


def test_options_merge_sets_and_clears():
    current = {"lock_password": True, "ignore_password_expiry": True}
    merged = merge_options(current, {"lock_password": None, "ignore_lockout_failure_attempts":
                                     False})
    assert merged == {"ignore_password_expiry": True, "ignore_lockout_failure_attempts": False}
    assert current == {"lock_password": True, "ignore_password_expiry": True}


def test_cut_off_is_the_next_whole_second():
    now = dt.datetime(2024, 5, 1, 12, 0, 7, 250000)
    boundary = next_second(now)
    assert boundary == dt.datetime(2024, 5, 1, 12, 0, 8)
    # A token issued earlier in this second (its issued_at is 12:00:07) is before it;
    # one issued once the answer went out (12:00:08 or later) is not.
    assert now.replace(microsecond=0) < boundary
    assert not dt.datetime(2024, 5, 1, 12, 0, 8) < boundary
    assert next_second(dt.datetime(2024, 5, 1, 12, 0, 7)) == dt.datetime(2024, 5, 1, 12, 0, 8)


def test_expiry_filter_operators_and_errors():
    assert expiry_filter("lt:2016-12-08T22:02:00Z") == ("lt", dt.datetime(2016, 12, 8, 22, 2))
    assert expiry_filter("2016-12-08T22:02:00Z") == ("eq", dt.datetime(2016, 12, 8, 22, 2))
    assert expiry_filter("gte:2016-12-08T23:02:00+01:00")[1] == dt.datetime(2016, 12, 8, 22, 2)
    with pytest.raises(SchemaError, match="operator xx is not valid"):
        expiry_filter("xx:2016-12-08T22:02:00Z")
    with pytest.raises(SchemaError, match="Timestamp not in expected format"):
        expiry_filter("lt:yesterday")


def test_user_fields_split_and_normalise():
    fields = user_fields({"name": "  ann ", "enabled": "false", "shoe": 42, "id": "x",
                          "links": {}, "email": "a@b", "password": "pw"})
    assert fields == {"name": "ann", "enabled": False, "email": "a@b", "password": "pw",
                      "extra": {"shoe": 42}}
    assert user_fields({"name": "b", "enabled": "yes"})["enabled"] is True


def test_user_schema():
    validate(USER_CREATE, {"name": "ann", "options": {"multi_factor_auth_rules": [["password"]]}})
    for bad in ({"name": "ann", "options": {"multi_factor_auth_rules": [[]]}},
                {"name": "ann", "domain_id": "bad id"}, {"name": "   "}):
        with pytest.raises(SchemaError):
            validate(USER_CREATE, bad)


def test_wire_time_has_no_zone_suffix():
    assert wire_time(dt.datetime(2016, 11, 6, 15, 32, 17)) == "2016-11-06T15:32:17.000000"
    assert wire_time(None) is None
