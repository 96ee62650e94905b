"""The query string of GET /v2/images, checked as Glance checks it."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from nimbus.services.image.errors import BadRequest
from nimbus.services.image.options import ImageOptions
from nimbus.services.image.service.listing import SORT_KEYS, ListQuery

VISIBILITIES = ("community", "public", "private", "shared", "all")
MEMBER_STATUSES = ("pending", "accepted", "rejected", "all")
PAGING = ("limit", "marker", "sort", "sort_key", "sort_dir", "member_status", "tag",
          "visibility", "os_hidden")


def parse_list_query(params: QueryParams, options: ImageOptions) -> ListQuery:
    query = ListQuery()
    query.limit = min(parse_limit(params.get("limit"), options), options.api_limit_max)
    query.marker = params.get("marker")
    query.member_status = params.get("member_status", "accepted")
    if query.member_status not in MEMBER_STATUSES:
        raise BadRequest(f"Invalid status: {query.member_status}")
    query.visibility = params.get("visibility") or None
    if query.visibility is not None and query.visibility not in VISIBILITIES:
        raise BadRequest(f"Invalid visibility value: {query.visibility}")
    query.os_hidden = _boolean("os_hidden", params.get("os_hidden", "false"))
    query.tags = [t.strip() for t in params.getlist("tag")]
    query.sort_keys, query.sort_dirs = _sorting(params)
    if "changes-since" in params:
        raise BadRequest('The "changes-since" filter is no longer available on v2.')
    query.filters = {k: v for k, v in params.items() if k not in PAGING}
    if "protected" in query.filters:
        _boolean("protected", query.filters["protected"])
    return query


def parse_limit(raw: str | None, options: ImageOptions) -> int:
    return options.limit_param_default if raw is None else limit_value(raw)


def limit_value(raw: str) -> int:
    """A ``limit`` query parameter as Glance reads it: a whole number, not negative."""
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise BadRequest("limit param must be positive")
    return limit


def _boolean(name: str, raw: str) -> bool:
    value = raw.lower()
    if value not in ("true", "false"):
        raise BadRequest(f"Invalid value '{raw}' for '{name}' filter. Valid values are "
                         "'true' or 'false'.")
    return value == "true"


def _sorting(params: QueryParams) -> tuple[list[str], list[str]]:
    """``sort=name:asc,size`` or ``sort_key=name&sort_dir=asc`` (not both)."""
    keys: list[str] = []
    dirs: list[str] = []
    if "sort" in params:
        if "sort_key" in params or "sort_dir" in params:
            raise BadRequest("Old and new sorting syntax cannot be combined")
        for part in params["sort"].strip().split(","):
            key, _, direction = part.partition(":")
            keys.append(_sort_key(key.strip()))
            dirs.append(_sort_dir(direction.strip() or "desc"))
    else:
        keys = [_sort_key(k.strip()) for k in params.getlist("sort_key")]
        dirs = [_sort_dir(d.strip()) for d in params.getlist("sort_dir")]
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise BadRequest("Number of sort dirs does not match the number of sort keys")
    return keys or ["created_at"], dirs or ["desc"]


def _sort_key(key: str) -> str:
    if key not in SORT_KEYS:
        raise BadRequest(f"Invalid sort key: {key}. It must be one of the following: "
                         f"{', '.join(SORT_KEYS)}.")
    return key


def _sort_dir(direction: str) -> str:
    if direction not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort direction: {direction}")
    return direction
