"""OS-EP-FILTER: endpoint group request schemas (Keystone's) and views."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.web import ApiRequest
from nimbus.services.identity.models import EndpointGroup, ProjectEndpointGroup
from nimbus.services.identity.schemas import NAME
from nimbus.services.identity.schemas.catalog import INTERFACE

_FILTERS = {
    "type": "object",
    "properties": {
        "interface": INTERFACE,
        "service_id": {"type": "string"},
        "region_id": {"type": ["string", "null"]},
        "enabled": {"type": "boolean"},
    },
}
_GROUP_PROPS = {"description": {"type": ["string", "null"]}, "filters": _FILTERS,
                "name": NAME}
GROUP_CREATE = {"type": "object", "properties": _GROUP_PROPS,
                "required": ["name", "filters"], "additionalProperties": False}
GROUP_UPDATE = {"type": "object", "properties": _GROUP_PROPS, "minProperties": 1,
                "additionalProperties": False}
GROUP_QUERY = {"type": "object", "properties": {"name": NAME}}

PREFIX = "OS-EP-FILTER"


def group_view(req: ApiRequest, group: EndpointGroup) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "description": group.description,
            "filters": group.filters or {},
            "links": {"self": f"{req.base_url}/v3/{PREFIX}/endpoint_groups/{group.id}"}}


def group_project_view(row: ProjectEndpointGroup) -> dict[str, Any]:
    # Keystone's link here is a path, without the host.
    path = f"/{PREFIX}/endpoint_groups/{row.endpoint_group_id}/projects/{row.project_id}"
    return {"endpoint_group_id": row.endpoint_group_id, "project_id": row.project_id,
            "links": {"self": path}}
