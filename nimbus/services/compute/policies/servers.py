"""Servers' rules (nova/policies/servers.py and the per-action policy modules), secure
RBAC defaults."""

from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.compute.policies.base import (
    ADMIN,
    PROJECT,
    PROJECT_MEMBER_OR_ADMIN,
    PROJECT_READER_OR_ADMIN,
)

S = "os_compute_api:servers"
_MEMBER = (PROJECT_MEMBER_OR_ADMIN, PROJECT)
_READER = (PROJECT_READER_OR_ADMIN, PROJECT)
_ADMIN = (ADMIN, PROJECT)

RULES: RuleDefaults = {
    f"{S}:index": _READER, f"{S}:detail": _READER, f"{S}:show": _READER,
    f"{S}:index:get_all_tenants": _ADMIN, f"{S}:detail:get_all_tenants": _ADMIN,
    f"{S}:allow_all_filters": _ADMIN, f"{S}:show:host_status": _ADMIN,
    f"{S}:show:host_status:unknown-only": _ADMIN,
    f"{S}:create": _MEMBER, f"{S}:create:forced_host": _ADMIN,
    f"{S}:create:requested_destination": _ADMIN, f"{S}:create:attach_volume": _MEMBER,
    f"{S}:create:attach_network": _MEMBER, f"{S}:create:trusted_certs": _MEMBER,
    f"{S}:create:zero_disk_flavor": _ADMIN,
    f"{S}:update": _MEMBER, f"{S}:delete": _MEMBER,
    f"{S}:confirm_resize": _MEMBER, f"{S}:revert_resize": _MEMBER,
    f"{S}:reboot": _MEMBER, f"{S}:resize": _MEMBER, f"{S}:rebuild": _MEMBER,
    f"{S}:create_image": _MEMBER, f"{S}:start": _MEMBER, f"{S}:stop": _MEMBER,
    "os_compute_api:os-extended-server-attributes": _ADMIN,
    "os_compute_api:os-deferred-delete:force": _MEMBER,
    "os_compute_api:os-deferred-delete:restore": _MEMBER,
    "os_compute_api:os-lock-server:lock": _MEMBER,
    "os_compute_api:os-lock-server:unlock": _MEMBER,
    "os_compute_api:os-lock-server:unlock:unlock_override": _ADMIN,
    "os_compute_api:os-pause-server:pause": _MEMBER,
    "os_compute_api:os-pause-server:unpause": _MEMBER,
    "os_compute_api:os-suspend-server:suspend": _MEMBER,
    "os_compute_api:os-suspend-server:resume": _MEMBER,
    "os_compute_api:os-rescue": _MEMBER, "os_compute_api:os-unrescue": _MEMBER,
    "os_compute_api:os-shelve:shelve": _MEMBER,
    "os_compute_api:os-shelve:shelve_offload": _ADMIN,
    "os_compute_api:os-shelve:unshelve": _MEMBER,
    "os_compute_api:os-admin-actions:reset_state": _ADMIN,
    "os_compute_api:os-create-backup": _MEMBER,
    "os_compute_api:os-console-output": _MEMBER,
    "os_compute_api:os-remote-consoles": _MEMBER,
    "os_compute_api:os-admin-password": _MEMBER,
    "os_compute_api:os-security-groups:add": _MEMBER,
    "os_compute_api:os-security-groups:remove": _MEMBER,
    "os_compute_api:os-security-groups:list": _READER,
    "os_compute_api:os-attach-interfaces:list": _READER,
    "os_compute_api:os-attach-interfaces:show": _READER,
    "os_compute_api:os-attach-interfaces:create": _MEMBER,
    "os_compute_api:os-attach-interfaces:delete": _MEMBER,
    "os_compute_api:os-server-password:show": _READER,
    "os_compute_api:os-server-password:clear": _MEMBER,
    "os_compute_api:os-server-diagnostics": _ADMIN,
    "os_compute_api:os-instance-actions:list": _READER,
    "os_compute_api:os-instance-actions:show": _READER,
    "os_compute_api:os-instance-actions:events": _ADMIN,
    "os_compute_api:os-instance-actions:events:details": _ADMIN,
    "os_compute_api:os-server-external-events:create": _ADMIN,
    "os_compute_api:os-server-tags:index": _READER,
    "os_compute_api:os-server-tags:show": _READER,
    "os_compute_api:os-server-tags:update": _MEMBER,
    "os_compute_api:os-server-tags:update_all": _MEMBER,
    "os_compute_api:os-server-tags:delete": _MEMBER,
    "os_compute_api:os-server-tags:delete_all": _MEMBER,
    "os_compute_api:server-metadata:index": _READER,
    "os_compute_api:server-metadata:show": _READER,
    "os_compute_api:server-metadata:create": _MEMBER,
    "os_compute_api:server-metadata:update": _MEMBER,
    "os_compute_api:server-metadata:update_all": _MEMBER,
    "os_compute_api:server-metadata:delete": _MEMBER,
}
