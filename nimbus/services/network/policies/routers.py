"""Router rules (neutron/conf/policies/router.py): members manage their project's routers;
``ha``, ``distributed``, and the gateway's ``enable_snat`` and ``external_fixed_ips`` are
for admins only."""
from __future__ import annotations

from nimbus.kernel.policy import RuleDefaults
from nimbus.services.network.policies.base import ADMIN, ADMIN_OR_MEMBER, ADMIN_OR_READER, PROJECT

GATEWAY = "external_gateway_info"

RULES: RuleDefaults = {
    "create_router": (ADMIN_OR_MEMBER, PROJECT),
    "get_router": (ADMIN_OR_READER, PROJECT),
    "update_router": (ADMIN_OR_MEMBER, PROJECT),
    "delete_router": (ADMIN_OR_MEMBER, PROJECT),
    "add_router_interface": (ADMIN_OR_MEMBER, PROJECT),
    "remove_router_interface": (ADMIN_OR_MEMBER, PROJECT),
    "add_extraroutes": (ADMIN_OR_MEMBER, PROJECT),
    "remove_extraroutes": (ADMIN_OR_MEMBER, PROJECT),
    "get_router:external_gateway_info": ("", None),
}
for _action in ("create", "update"):
    RULES.update({
        f"{_action}_router:distributed": (ADMIN, PROJECT),
        f"{_action}_router:ha": (ADMIN, PROJECT),
        f"{_action}_router:{GATEWAY}": (ADMIN_OR_MEMBER, PROJECT),
        f"{_action}_router:{GATEWAY}:network_id": (ADMIN_OR_MEMBER, PROJECT),
        f"{_action}_router:{GATEWAY}:enable_snat": (ADMIN, PROJECT),
        f"{_action}_router:{GATEWAY}:external_fixed_ips": (ADMIN, PROJECT),
    })
RULES.update({"get_router:distributed": (ADMIN, PROJECT), "get_router:ha": (ADMIN, PROJECT)})
