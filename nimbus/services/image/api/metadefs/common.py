"""What the metadef handlers share: the namespace of the path, judged as Glance judges it.

A namespace the caller may not see, by visibility or by ``get_metadef_namespace``, is a 404;
the route's own rule then answers 403 only about namespaces the caller can see.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from nimbus.kernel.web import ApiRequest
from nimbus.services.image.api.common import allowed, caller_of, enforce, service_of
from nimbus.services.image.errors import BadRequest, NamespaceNotFound
from nimbus.services.image.schemas.listing import limit_value
from nimbus.services.image.service.metadefs import Metadefs
from nimbus.services.image.service.metadefs.access import NamespaceRef

TRUE_WORDS = ("1", "t", "true", "on", "y", "yes")


def metadefs_of(req: ApiRequest) -> Metadefs:
    return service_of(req).metadefs


def target_of(ref: NamespaceRef) -> dict[str, Any]:
    return {"project_id": ref.owner, "visibility": ref.visibility}


def load_namespace(req: ApiRequest) -> NamespaceRef:
    ref: NamespaceRef | None = req.memo.get("metadef.namespace")
    if ref is None:
        name = req.path_params["namespace"]
        ref = metadefs_of(req).namespaces.get(caller_of(req), name)
        if not allowed(req, "get_metadef_namespace", target_of(ref)):
            raise NamespaceNotFound(name)
        req.memo["metadef.namespace"] = ref
    return ref


def namespace_target(req: ApiRequest) -> dict[str, Any]:
    return target_of(load_namespace(req))


def enforce_on_namespace(req: ApiRequest, *rules: str) -> None:
    """Further rules a call needs on the namespace of its path (403 when one refuses)."""
    target = namespace_target(req)
    for rule in rules:
        enforce(req, rule, target)


def namespace_name(req: ApiRequest) -> str:
    return req.path_params["namespace"]


def body_of(req: ApiRequest) -> Any:
    return req.json() if req.body else None


def is_true(raw: str | None) -> bool:
    return (raw or "").strip().lower() in TRUE_WORDS


def limit_of(params: QueryParams, default: int | None, maximum: int) -> int | None:
    raw = params.get("limit")
    return default if raw is None else min(limit_value(raw), maximum)


def sort_dir_of(params: QueryParams) -> str:
    direction = params.get("sort_dir", "desc")
    if direction not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort direction: {direction}")
    return direction
