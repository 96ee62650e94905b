"""RBAC policies (Neutron's rbac-policies extension) and network IP availability."""

from __future__ import annotations

from typing import Any

from nimbus.services.network.errors import InvalidInput
from nimbus.services.network.schemas.attrs import (
    DESCRIPTION_MAX,
    NAME_MAX,
    Attr,
    ResourceDef,
    filter_int,
    string,
    uuid_str,
)

OBJECT_TYPES = ("network", "subnetpool", "address_scope")
ACTIONS = {"network": ("access_as_shared", "access_as_external"),
           "subnetpool": ("access_as_shared",), "address_scope": ("access_as_shared",)}


def object_type(value: Any) -> str:
    normalized = value.strip().lower() if isinstance(value, str) else value
    if normalized not in OBJECT_TYPES:
        raise InvalidInput(f"'{value}' is not a valid RBAC object type")
    return str(normalized)


def target_project(value: Any) -> str:
    """'*' or a project id (UUID-like, with or without dashes), kept as given."""
    if value == "*":
        return "*"
    try:
        uuid_str(value)
    except InvalidInput:
        raise InvalidInput(f"'{value}' is not a valid target project ID; expected a UUID "
                           "or '*'") from None
    return str(value)


RBAC_POLICY = ResourceDef("rbac_policy", "rbac_policies", "RbacPolicy", (
    Attr("id", uuid_str, post=False, default=None),
    Attr("object_type", object_type, default=None),
    Attr("object_id", uuid_str, default=None),
    Attr("target_tenant", target_project, put=True, default=None, policy=True),
    Attr("target_project", target_project, put=True, default=None, policy=True),
    Attr("tenant_id", string(NAME_MAX), default=None),
    Attr("project_id", string(NAME_MAX), default=None),
    Attr("action", string(DESCRIPTION_MAX), default=None),
), service="rbac_policies", standard=False, taggable=False, path="rbac-policies")

NETWORK_IP_AVAILABILITY = ResourceDef(
    "network_ip_availability", "network_ip_availabilities", "NetworkIPAvailability", (
        Attr("network_id", post=False, default=None),
        Attr("network_name", post=False, default=None),
        Attr("tenant_id", post=False, default=None),
        Attr("project_id", post=False, default=None),
        Attr("ip_version", post=False, default=None, convert_filter=filter_int),
        Attr("total_ips", post=False, default=None, filter=False, sort=False),
        Attr("used_ips", post=False, default=None, filter=False, sort=False),
        Attr("subnet_ip_availability", post=False, default=None, filter=False, sort=False),
    ), service="ip_availability", standard=False, taggable=False,
    path="network-ip-availabilities")
