"""The one controller every Neutron resource goes through (Neutron's ``api/v2/base.py``):
body checks from the attribute map, per-attribute policy, ``fields=``, filters, sorting,
paging links, ``If-Match`` revisions, and 404 for what the caller may not see.

A resource's service (a member of ``NetworkService``) answers five calls with plain dicts:
``list(ctx, query)``, ``get(ctx, id)``, ``create(ctx, values)``,
``update(ctx, id, values)``, ``delete(ctx, id)``. Lists come back already narrowed to what
the caller's project may see, filtered, sorted and paged; policy is applied here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from nimbus.kernel.errors import Forbidden
from nimbus.kernel.web import ApiRequest, Reply, Route
from nimbus.services.network.errors import (
    BadRequestNeutron,
    InvalidInput,
    NeutronError,
    PolicyNotAuthorized,
    ResourceNotFound,
)
from nimbus.services.network.schemas.attrs import REQUIRED, Attr, ResourceDef
from nimbus.services.network.schemas.listing import ListQuery

LIST_PARAMS = {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse",
               "tags", "tags-any", "not-tags", "not-tags-any"}
TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")
# Any caller with a token may ask; what it sees is decided per resource.
ANY_CALLER = "network_api"


def service_of(req: ApiRequest) -> Any:
    return req.api.service  # type: ignore[attr-defined]


def is_admin(req: ApiRequest) -> bool:
    return allowed(req, "context_is_admin", {})


def allowed(req: ApiRequest, rule: str, target: dict[str, Any]) -> bool:
    try:
        req.api.authorize(rule, req.ctx, target)
    except Forbidden:
        return False
    return True


# -- requests ---------------------------------------------------------------------------

def parse_list_query(req: ApiRequest, rd: ResourceDef) -> ListQuery:
    q = req.query
    query = ListQuery(fields=q.getlist("fields") or None)
    for key in set(q.keys()) - LIST_PARAMS:
        attr = rd.by_name.get(key)
        if attr is None or not attr.filter:
            raise BadRequestNeutron(rd.singular, f"['{key}'] is invalid attribute for "
                                                 "filtering") if attr is None else \
                InvalidInput(f"'{key}' cannot be used as a filter")
        convert = attr.convert_filter or (lambda v: v)
        name = "project_id" if key == "tenant_id" else key
        query.filters.setdefault(name, []).extend(convert(v) for v in q.getlist(key))
    for tag_filter in TAG_FILTERS:
        values = [t for v in q.getlist(tag_filter) for t in v.split(",") if t]
        if values:
            query.tags[tag_filter] = values
    query.sorts = _sorts(q.getlist("sort_key"), q.getlist("sort_dir"), rd)
    query.limit = _limit(q.get("limit"))
    query.marker = q.get("marker") or None
    query.page_reverse = q.get("page_reverse", "").lower() == "true"
    return query


def _sorts(keys: list[str], dirs: list[str], rd: ResourceDef) -> list[tuple[str, bool]]:
    if dirs and len(dirs) != len(keys):
        raise BadRequestNeutron(rd.singular, "The number of sort_keys and sort_dirs must "
                                             "be same")
    sorts = []
    for i, key in enumerate(keys):
        attr = rd.by_name.get(key)
        if attr is None or not attr.sort:
            raise BadRequestNeutron(rd.singular, f"{key} is invalid attribute for sort_keys")
        direction = (dirs[i] if dirs else "asc").lower()
        if direction not in ("asc", "desc"):
            raise BadRequestNeutron(rd.singular, f"{direction} is invalid value for "
                                                 "sort_dirs, valid values are 'asc' and 'desc'")
        sorts.append(("project_id" if key == "tenant_id" else key, direction == "asc"))
    return sorts


def _limit(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequestNeutron("resource", f"Limit must be an integer 0 or greater "
                                            f"and not '{raw}'") from None
    if limit < 0:
        raise BadRequestNeutron("resource", f"Limit must be an integer 0 or greater and "
                                            f"not '{raw}'")
    return limit or None


def body_of(req: ApiRequest, rd: ResourceDef, *, bulk: bool) -> list[dict[str, Any]]:
    doc = req.json()
    if not isinstance(doc, dict):
        raise BadRequestNeutron("resource", "Body contains invalid data")
    if bulk and rd.plural in doc:
        items = doc[rd.plural]
        if not isinstance(items, list) or not items:
            raise BadRequestNeutron("resource", "Resources required")
    elif rd.singular in doc:
        items = [doc[rd.singular]]
    else:
        raise BadRequestNeutron("resource", f"Unable to find '{rd.singular}' in request "
                                            "body")
    for item in items:
        if not isinstance(item, dict):
            raise BadRequestNeutron("resource", f"Unable to find '{rd.singular}' in "
                                                "request body")
    return items


def check_attrs(rd: ResourceDef, body: dict[str, Any], *, creating: bool,
                req: ApiRequest) -> dict[str, Any]:
    """Validate and convert a POST or PUT body; POST gets the defaults filled in."""
    unknown = [k for k in body if k not in rd.by_name]
    if unknown:
        raise BadRequestNeutron(rd.singular, f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    values: dict[str, Any] = {}
    for key, raw in body.items():
        attr = rd.by_name[key]
        if creating and not attr.post:
            raise BadRequestNeutron(rd.singular, f"Attribute '{key}' not allowed in POST")
        if not creating and not attr.put:
            raise BadRequestNeutron(rd.singular, f"Cannot update read-only attribute {key}")
        values[key] = _validated(attr, raw)
    if creating:
        _fill_project(values, req)
        for attr in rd.attrs:
            if attr.post and attr.name not in values:
                if attr.default is REQUIRED:
                    raise BadRequestNeutron(rd.singular, "Failed to parse request. Required "
                                                         f"attribute '{attr.name}' not "
                                                         "specified")
                values[attr.name] = attr.default
    return values


def _validated(attr: Attr, raw: Any) -> Any:
    if attr.validate is None:
        return raw
    try:
        return attr.validate(raw)
    except InvalidInput as e:
        detail = e.message.removeprefix("Invalid input for operation: ").rstrip(".")
        raise InvalidInput(f"Invalid input for {attr.name}. Reason: {detail}") from None


def _fill_project(values: dict[str, Any], req: ApiRequest) -> None:
    project = values.pop("project_id", None)
    tenant = values.pop("tenant_id", None)
    if project and tenant and project != tenant:
        raise BadRequestNeutron("resource", "'project_id' and 'tenant_id' do not match")
    chosen = project or tenant or req.ctx.project_id
    if not chosen:
        raise BadRequestNeutron("resource", "Failed to parse request. Required attribute "
                                            "'project_id' not specified")
    values["project_id"] = values["tenant_id"] = chosen


def create_target(req: ApiRequest, rd: ResourceDef, values: dict[str, Any]) -> dict[str, Any]:
    """What ``create_<res>`` is checked against: the values, plus what the store adds
    (``policy_target``: the parent network's owner for subnets and ports, say)."""
    extend = getattr(getattr(service_of(req), rd.service), "policy_target", None)
    return {**values, **extend(req.ctx, values)} if extend else values


def enforce_attrs(req: ApiRequest, rd: ResourceDef, action: str, values: dict[str, Any],
                  given: dict[str, Any], target: dict[str, Any]) -> None:
    """The action's rule, then ``<action>_<res>:<attr>`` for each policy attribute given."""
    rule = f"{action}_{rd.singular}"
    if not allowed(req, rule, target):
        raise PolicyNotAuthorized(rule)
    for key in given:
        attr = rd.by_name.get(key)
        if attr is not None and attr.policy:
            sub = f"{rule}:{key}"
            if not allowed(req, sub, target):
                raise PolicyNotAuthorized(sub)


# -- answers ----------------------------------------------------------------------------

def view(req: ApiRequest, rd: ResourceDef, item: dict[str, Any],
         fields: list[str] | None = None) -> dict[str, Any]:
    """What the caller sees: visible attributes it may read, narrowed to ``fields``."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        attr = rd.by_name.get(key)
        # Keys outside the map are for policy targets only (the network's owner, say).
        if attr is None or not attr.visible:
            continue
        if attr.policy and not allowed(req, f"get_{rd.singular}:{key}", item):
            continue
        out[key] = value
    if fields:
        wanted = set(fields)
        out = {k: v for k, v in out.items() if k in wanted}
    return out


def links(req: ApiRequest, rd: ResourceDef, items: list[dict[str, Any]],
          query: ListQuery) -> list[dict[str, str]]:
    """Neutron's ``<plural>_links``: next when the page is full, previous after a marker."""
    if query.limit is None:
        return []
    base = f"{req.base_url}/v2.0/{rd.collection}"
    keep = [(k, v) for k, v in req.query.multi_items() if k not in ("marker", "page_reverse")]
    out = []
    if items and len(items) >= query.limit:
        rel = "previous" if query.page_reverse else "next"
        edge = items[0] if query.page_reverse else items[-1]
        out.append({"rel": rel, "href": f"{base}?{urlencode([*keep, ('marker', edge['id'])])}"})
    if query.marker and items:
        rel = "next" if query.page_reverse else "previous"
        edge = items[-1] if query.page_reverse else items[0]
        params = [*keep, ("marker", edge["id"])]
        if not query.page_reverse:
            params.append(("page_reverse", "True"))
        out.append({"rel": rel, "href": f"{base}?{urlencode(params)}"})
    return out


# -- handlers ---------------------------------------------------------------------------

_REVISION = re.compile(r"^revision_number=(\d+)$")


def if_match_revision(req: ApiRequest) -> int | None:
    raw = req.headers.get("if-match")
    if not raw:
        return None
    match = _REVISION.match(raw.strip())
    if not match:
        raise BadRequestNeutron("resource", "If-Match header must be of the form "
                                            "revision_number=N")
    return int(match.group(1))


def load_visible(req: ApiRequest, rd: ResourceDef, item_id: str) -> dict[str, Any]:
    """The resource, or its NotFound when it does not exist or the caller may not see it."""
    memo_key = f"{rd.singular}:{item_id}"
    if memo_key in req.memo:
        return req.memo[memo_key]  # type: ignore[no-any-return]
    item = getattr(service_of(req), rd.service).get(req.ctx, item_id)
    if not allowed(req, f"get_{rd.singular}", item):
        raise ResourceNotFound(rd.kind, item_id)
    req.memo[memo_key] = item
    return item  # type: ignore[no-any-return]


def list_handler(rd: ResourceDef) -> Callable[[ApiRequest], Any]:
    def handle(req: ApiRequest) -> dict[str, Any]:
        query = parse_list_query(req, rd)
        items = getattr(service_of(req), rd.service).list(req.ctx, query)
        rule = f"get_{rd.singular}"
        visible = [i for i in items if allowed(req, rule, i)]
        body: dict[str, Any] = {rd.plural: [view(req, rd, i, query.fields) for i in visible]}
        page_links = links(req, rd, visible, query)
        if page_links:
            body[f"{rd.plural}_links"] = page_links
        return body
    return handle


def show_handler(rd: ResourceDef) -> Callable[[ApiRequest], Any]:
    def handle(req: ApiRequest) -> dict[str, Any]:
        item = load_visible(req, rd, req.path_params["id"])
        return {rd.singular: view(req, rd, item, req.query.getlist("fields") or None)}
    return handle


def create_handler(rd: ResourceDef) -> Callable[[ApiRequest], Any]:
    def handle(req: ApiRequest) -> Reply:
        doc = req.json()
        bulk = isinstance(doc, dict) and rd.plural in doc
        items = body_of(req, rd, bulk=True)
        checked = []
        for body in items:
            values = check_attrs(rd, body, creating=True, req=req)
            enforce_attrs(req, rd, "create", values, body, create_target(req, rd, values))
            checked.append(values)
        svc = getattr(service_of(req), rd.service)
        if bulk:
            create_bulk = getattr(svc, "create_bulk", None)
            made = create_bulk(req.ctx, checked) if create_bulk else \
                [svc.create(req.ctx, v) for v in checked]
            return Reply({rd.plural: [view(req, rd, m) for m in made]}, status=201)
        return Reply({rd.singular: view(req, rd, svc.create(req.ctx, checked[0]))},
                     status=201)
    return handle


def update_handler(rd: ResourceDef) -> Callable[[ApiRequest], Any]:
    def handle(req: ApiRequest) -> dict[str, Any]:
        item_id = req.path_params["id"]
        body = body_of(req, rd, bulk=False)[0]
        current = load_visible(req, rd, item_id)
        values = check_attrs(rd, body, creating=False, req=req)
        enforce_attrs(req, rd, "update", values, body, {**current, **values})
        expected = if_match_revision(req)
        if expected is not None and expected != current.get("revision_number"):
            from nimbus.services.network.errors import PreconditionFailed

            raise PreconditionFailed(expected, current.get("revision_number", 0))
        updated = getattr(service_of(req), rd.service).update(req.ctx, item_id, values)
        return {rd.singular: view(req, rd, updated)}
    return handle


def delete_handler(rd: ResourceDef) -> Callable[[ApiRequest], Any]:
    def handle(req: ApiRequest) -> Reply:
        item_id = req.path_params["id"]
        current = load_visible(req, rd, item_id)
        rule = f"delete_{rd.singular}"
        if not allowed(req, rule, current):
            raise PolicyNotAuthorized(rule)
        expected = if_match_revision(req)
        if expected is not None and expected != current.get("revision_number"):
            from nimbus.services.network.errors import PreconditionFailed

            raise PreconditionFailed(expected, current.get("revision_number", 0))
        getattr(service_of(req), rd.service).delete(req.ctx, item_id)
        return Reply(status=204)
    return handle


def crud_routes(rd: ResourceDef, *, verbs: str = "LSCUD") -> list[Route]:
    """The routes of a resource: List, Show, Create, Update, Delete (a subset by ``verbs``)."""
    coll = f"/v2.0/{rd.collection}"
    item = f"{coll}/{{id}}"
    table = {"L": Route("GET", coll, list_handler(rd), ANY_CALLER),
             "S": Route("GET", item, show_handler(rd), ANY_CALLER),
             "C": Route("POST", coll, create_handler(rd), ANY_CALLER),
             "U": Route("PUT", item, update_handler(rd), ANY_CALLER),
             "D": Route("DELETE", item, delete_handler(rd), ANY_CALLER)}
    return [table[v] for v in verbs]


__all__ = ["ListQuery", "NeutronError", "crud_routes", "view", "load_visible", "allowed"]
