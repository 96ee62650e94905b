"""Who may do what, as Swift's keystoneauth decides: the reseller admin anywhere; in
``AUTH_<project>`` the project's users holding an operator role (the owners); others through
account ACLs (``X-Account-Access-Control``) and container ACLs (``X-Container-Read`` with
referrers, ``.rlistings`` and ``project:user`` entries; ``X-Container-Write``). A refusal is
401 without a token and 403 with one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlparse

from nimbus.kernel.context import RequestContext
from nimbus.services.object.errors import BadRequest, Forbidden, Unauthorized

RESELLER_PREFIX = "AUTH_"
READS = ("GET", "HEAD")


@dataclass(frozen=True)
class Roles:
    operator: frozenset[str]
    reseller: frozenset[str]

    @classmethod
    def parse(cls, operator: str, reseller: str) -> Roles:
        def names(text: str) -> frozenset[str]:
            return frozenset(r.strip().lower() for r in text.split(",") if r.strip())

        return cls(names(operator), names(reseller))


@dataclass(frozen=True)
class Access:
    """What the caller may do in one account: ``owner`` (full, sees ACL headers)."""

    owner: bool
    ctx: RequestContext


def _roles(ctx: RequestContext) -> set[str]:
    return {r.lower() for r in ctx.roles}


def account_of(ctx: RequestContext) -> str | None:
    return f"{RESELLER_PREFIX}{ctx.project_id}" if ctx.project_id else None


def is_owner(ctx: RequestContext, account: str, roles: Roles) -> bool:
    if not ctx.authenticated:
        return False
    mine = _roles(ctx)
    if mine & roles.reseller:
        return True
    return account_of(ctx) == account and bool(mine & roles.operator)


def deny(ctx: RequestContext) -> Exception:
    return Forbidden() if ctx.authenticated else Unauthorized()


# -- container ACLs ---------------------------------------------------------------------------
def parse_acl(value: str) -> tuple[list[str], list[str]]:
    """(referrers, groups) of an X-Container-Read/Write value, as Swift's parse_acl."""
    referrers: list[str] = []
    groups: list[str] = []
    for item in (v.strip() for v in value.split(",")):
        if not item:
            continue
        if item.startswith(".r:"):
            referrers.append(item[3:])
        elif item.startswith("."):
            if item == ".rlistings":
                groups.append(item)
        else:
            groups.append(item)
    return referrers, groups


def clean_acl(name: str, value: str) -> str:
    """Swift's clean_acl: normalised ``.r:`` forms; 400 on write ACLs with referrers."""
    out = []
    for raw in (v.strip() for v in value.split(",")):
        if not raw:
            continue
        item = raw
        if item.startswith("."):
            key, _, rest = item.partition(":")
            if key in (".r", ".ref", ".referer", ".referrer"):
                if name.lower() == "x-container-write":
                    raise BadRequest(f'Referrers not allowed in write ACL: "{raw}"')
                if not rest.strip():
                    raise BadRequest(f'No host/domain value after referrer designation in '
                                     f'ACL: "{raw}"')
                item = ".r:" + rest.strip()
            elif item != ".rlistings":
                raise BadRequest(f'Unknown designator "{key}" in ACL: "{raw}"')
        out.append(item)
    return ",".join(out)


def referrer_allowed(referer: str | None, referrers: list[str]) -> bool:
    host = urlparse(referer).hostname or "" if referer else "unknown"
    allowed = False
    for mhost in referrers:
        negate = mhost.startswith("-")
        bare = mhost[1:] if negate else mhost
        if bare == "*" or (bare.startswith(".") and host.endswith(bare)) or bare == host:
            allowed = not negate
    return allowed


def group_matches(ctx: RequestContext, groups: list[str]) -> bool:
    """keystoneauth's cross-tenant check: project:user by id or name, with * wildcards."""
    if not ctx.authenticated:
        return False
    projects = {ctx.project_id, ctx.project_name, "*"}
    users = {ctx.user_id, ctx.user_name, "*"}
    for group in groups:
        project, sep, user = group.partition(":")
        if sep and project in projects and user in users:
            return True
    return False


def container_read_allowed(ctx: RequestContext, acl: str, referer: str | None,
                           listing: bool) -> bool:
    referrers, groups = parse_acl(acl)
    if group_matches(ctx, groups):
        return True
    if referrer_allowed(referer, referrers):
        return not listing or ".rlistings" in groups
    return False


def container_write_allowed(ctx: RequestContext, acl: str) -> bool:
    _referrers, groups = parse_acl(acl)
    return group_matches(ctx, groups)


# -- account ACLs -----------------------------------------------------------------------------
ACCOUNT_ACL_LEVELS = ("admin", "read-write", "read-only")


def parse_account_acl(value: str) -> dict[str, list[str]]:
    """X-Account-Access-Control: a JSON object of level -> list of ids; 400 otherwise."""
    try:
        doc = json.loads(value)
    except ValueError:
        raise BadRequest("Syntax error in input (not valid JSON)") from None
    if not isinstance(doc, dict):
        raise BadRequest("Syntax error in input (not a JSON object)")
    for key, entries in doc.items():
        if key not in ACCOUNT_ACL_LEVELS:
            raise BadRequest(f"Key '{key}' not recognized")
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise BadRequest(f"Value for key '{key}' must be a list of strings")
    return {k: list(v) for k, v in doc.items()}


def account_acl_level(ctx: RequestContext, acl: str | None) -> str | None:
    """The highest level an account ACL grants the caller: its project id, its user id or
    project:user (ids or names)."""
    if not acl or not ctx.authenticated:
        return None
    try:
        doc = json.loads(acl)
    except ValueError:
        return None
    names = {ctx.project_id, ctx.user_id, f"{ctx.project_id}:{ctx.user_id}",
             f"{ctx.project_id}:*", f"{ctx.project_name}:{ctx.user_name}"}
    for level in ACCOUNT_ACL_LEVELS:
        if names & set(doc.get(level, [])):
            return level
    return None
