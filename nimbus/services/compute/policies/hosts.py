"""Availability zones, aggregates, services and hypervisors (nova/policies/
availability_zone.py, aggregates.py, services.py, hypervisors.py): all admin, but the zone
list, which any caller reads."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies.base import ADMIN, ANY, PROJECT

AZ = "os_compute_api:os-availability-zone:%s"
AGGREGATES = "os_compute_api:os-aggregates:%s"
SERVICES = "os_compute_api:os-services:%s"
HYPERVISORS = "os_compute_api:os-hypervisors:%s"

RULES: RuleDefaults = {
    AZ % "list": (ANY, PROJECT),
    AZ % "detail": (ADMIN, PROJECT),
    **{AGGREGATES % op: (ADMIN, PROJECT) for op in
       ("index", "create", "show", "update", "delete", "add_host", "remove_host",
        "set_metadata")},
    **{SERVICES % op: (ADMIN, PROJECT) for op in ("list", "update", "delete")},
    **{HYPERVISORS % op: (ADMIN, PROJECT) for op in
       ("list", "list-detail", "statistics", "show", "uptime", "search", "servers")},
}
