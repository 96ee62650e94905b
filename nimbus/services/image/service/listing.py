"""GET /v2/images: filters, Glance's visibility rules, sorting and marker paging."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Row,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from nimbus.services.image.errors import BadRequest, ImageNotFound, InvalidFilter
from nimbus.services.image.models import Image, ImageProperty, ImageTag
from nimbus.services.image.service.access import (
    IMAGE_COLUMNS,
    community_clause,
    is_image_id,
    listing_clause,
    readable_row,
)
from nimbus.services.image.service.records import Caller

SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id",
             "created_at", "updated_at")
# Filters that take "in:a,b" as well as a plain value.
LIST_FILTERS = ("name", "id", "status", "container_format", "disk_format")
TIME_FILTERS = ("created_at", "updated_at")
RANGE_COLUMNS = ("size", "virtual_size", "min_disk", "min_ram")
# Columns a filter may test for equality; any other key filters on custom properties.
COLUMN_FILTERS = ("owner", "checksum", "os_hash_value", "os_hash_algo", "size",
                  "virtual_size", "min_disk", "min_ram", "protected", "os_hidden")
TIME_OPERATORS = ("gt", "gte", "lt", "lte", "eq", "neq")


@dataclass
class ListQuery:
    filters: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    visibility: str | None = None
    member_status: str = "accepted"
    os_hidden: bool = False
    marker: str | None = None
    limit: int = 25
    sort_keys: list[str] = field(default_factory=lambda: ["created_at"])
    sort_dirs: list[str] = field(default_factory=lambda: ["desc"])


def list_rows(s: Session, caller: Caller, query: ListQuery
              ) -> tuple[list[Row[Any]], str | None]:
    """One page of images (plain rows), and the marker of the next page when this one is
    full."""
    stmt = select(*IMAGE_COLUMNS).where(
        listing_clause(caller, query.member_status),
        community_clause(caller, query.visibility),
        Image.os_hidden == query.os_hidden,
        Image.status.not_in(("killed", "deleted")),
        *filter_clauses(query.filters), *tag_clauses(query.tags))
    keys, dirs = sort_order(query)
    stmt = stmt.order_by(*[_sort_value(k).desc() if d == "desc" else _sort_value(k).asc()
                           for k, d in zip(keys, dirs, strict=True)])
    if query.marker is not None:
        stmt = stmt.where(_after(_marker_row(s, caller, query.marker), keys, dirs))
    rows = list(s.connection().execute(stmt.limit(query.limit)))
    full = bool(rows) and len(rows) == query.limit
    return rows, rows[-1].id if full else None


def sort_order(query: ListQuery) -> tuple[list[str], list[str]]:
    keys = list(query.sort_keys)
    dirs = list(query.sort_dirs)
    default_dir = dirs[0] if len(dirs) == 1 else "desc"
    if len(dirs) == 1:
        dirs = dirs * len(keys)
    for key in ("created_at", "id"):
        if key not in keys:
            keys.append(key)
            dirs.append(default_dir)
    return keys, dirs


def _sort_value(key: str) -> ColumnElement[Any]:
    column = getattr(Image, key)
    if key in ("created_at", "updated_at", "id", "status"):
        return column
    default: Any = 0 if key == "size" else ""
    return func.coalesce(column, literal(default))


def _marker_row(s: Session, caller: Caller, marker: str) -> Row[Any]:
    try:
        return readable_row(s, caller, marker)
    except ImageNotFound as exc:
        raise BadRequest(exc.message) from None


def _after(marker: Row[Any], keys: list[str], dirs: list[str]) -> ColumnElement[bool]:
    """Rows after the marker in the sort order: (k1 > m1) or (k1 = m1 and k2 > m2) ..."""
    values = [_marker_value(marker, k) for k in keys]
    alternatives = []
    for i, (key, direction) in enumerate(zip(keys, dirs, strict=True)):
        equal = [_sort_value(keys[j]) == values[j] for j in range(i)]
        beyond = _sort_value(key) < values[i] if direction == "desc" \
            else _sort_value(key) > values[i]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)


def _marker_value(marker: Row[Any], key: str) -> Any:
    value = getattr(marker, key)
    if value is None:
        return 0 if key == "size" else ""
    return value


def filter_clauses(filters: dict[str, str]) -> list[ColumnElement[bool]]:
    clauses = []
    for key, raw in filters.items():
        if key in LIST_FILTERS:
            clauses.append(_list_filter(key, raw))
        elif key in TIME_FILTERS:
            clauses.append(_time_filter(key, raw))
        elif key.endswith(("_min", "_max")) and key[:-4] in RANGE_COLUMNS:
            clauses.append(_range_filter(key, raw))
        elif key in COLUMN_FILTERS:
            clauses.append(getattr(Image, key) == _typed(key, raw))
        else:
            clauses.append(exists().where(ImageProperty.image_id == Image.id,
                                          ImageProperty.name == key,
                                          ImageProperty.value == raw))
    return clauses


def tag_clauses(tags: list[str]) -> list[ColumnElement[bool]]:
    return [exists().where(ImageTag.image_id == Image.id, ImageTag.value == tag)
            for tag in tags]


def split_operator(expression: str) -> tuple[str, str]:
    """"gte:2024-01-01T00:00:00Z" -> ("gte", ...); a bare value or timestamp -> ("eq", ...)."""
    left, sep, right = expression.partition(":")
    if not sep or _parse_time(expression) is not None:
        return "eq", expression
    return left, right


def _list_filter(key: str, raw: str) -> ColumnElement[bool]:
    operator, value = split_operator(raw)
    column = getattr(Image, key)
    if operator == "in":
        values = split_in_values(value)
        if key == "id" and not all(is_image_id(v) for v in values):
            return false()
        return column.in_(values)
    if operator == "eq":
        return column == value
    raise InvalidFilter(f"Unable to filter by unknown operator '{operator}'.")


def split_in_values(value: str) -> list[str]:
    """"a,b" or '"a,b",c': comma-separated, double quotes keep commas (api-wg)."""
    out: list[str] = []
    current, quoted, escaped = "", False, False
    for char in value:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            out.append(current)
            current = ""
        else:
            current += char
    if quoted:
        raise InvalidFilter(f"Invalid filter value {value}. The quote is not closed.")
    out.append(current)
    return out


def _time_filter(key: str, raw: str) -> ColumnElement[bool]:
    operator, value = split_operator(raw)
    when = _parse_time(value)
    if when is None:
        raise InvalidFilter(f'Bad "{key}" query filter format. Use ISO 8601 DateTime '
                            "notation.")
    if operator not in TIME_OPERATORS:
        raise InvalidFilter("Unable to filter on a unknown operator.")
    column = getattr(Image, key)
    return {"gt": column > when, "gte": column >= when, "lt": column < when,
            "lte": column <= when, "eq": column == when, "neq": column != when}[operator]


def _parse_time(value: str) -> dt.datetime | None:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _range_filter(key: str, raw: str) -> ColumnElement[bool]:
    try:
        value = int(raw)
    except ValueError:
        raise InvalidFilter("Unable to filter on a range with a non-numeric value.") from None
    column = getattr(Image, key[:-4])
    return column >= value if key.endswith("_min") else column <= value


def _typed(key: str, raw: str) -> Any:
    kind = getattr(Image, key).type
    if isinstance(kind, Boolean):
        if raw not in ("true", "false"):
            raise InvalidFilter(f"Invalid value '{raw}' for '{key}' filter. Valid values "
                                "are 'true' or 'false'.")
        return raw == "true"
    if isinstance(kind, (Integer, BigInteger)):
        try:
            return int(raw)
        except ValueError:
            raise InvalidFilter(f"Invalid value '{raw}' for '{key}' filter.") from None
    return raw

