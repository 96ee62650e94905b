"""The port resource: core attributes plus binding, allowed-address-pairs, extra DHCP
options, port security, security groups, DNS and QoS extensions."""

from __future__ import annotations

from typing import Any

from nimbus.services.network.errors import InvalidInput
from nimbus.services.network.schemas.attrs import (
    Attr,
    ResourceDef,
    boolean,
    dict_value,
    filter_bool,
    ip_address,
    ip_or_cidr,
    mac_address,
    one_of,
    standard_attrs,
    string,
    uuid_list,
    uuid_or_none,
    uuid_str,
)

VNIC_TYPES = ("normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder",
              "smart-nic", "remote-managed", "vdpa", "accelerator-direct",
              "accelerator-direct-physical")


def fixed_ips_value(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidInput(f"Invalid data format for fixed IP: '{value}'")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidInput(f"Invalid data format for fixed IP: '{item}'")
        unknown = set(item) - {"subnet_id", "ip_address"}
        if unknown:
            raise InvalidInput(f"Invalid data format for fixed IP: '{item}'")
        entry: dict[str, Any] = {}
        if item.get("subnet_id") is not None:
            entry["subnet_id"] = uuid_str(item["subnet_id"])
        if item.get("ip_address") is not None:
            entry["ip_address"] = ip_address()(item["ip_address"])
        if not entry:
            raise InvalidInput(f"Invalid data format for fixed IP: '{item}'")
        out.append(entry)
    return out


def address_pairs_value(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput("Allowed address pairs must be a list.")
    out = []
    for pair in value:
        if not isinstance(pair, dict) or "ip_address" not in pair or \
                set(pair) - {"ip_address", "mac_address"}:
            raise InvalidInput(f"Unrecognized attribute(s) in allowed address pair '{pair}'")
        raw = pair["ip_address"]
        normal = ip_or_cidr(raw)
        # A plain address stays one; a network is kept in its normal form.
        entry = {"ip_address": normal if "/" in str(raw) else normal.split("/")[0]}
        if pair.get("mac_address") is not None:
            entry["mac_address"] = mac_address(pair["mac_address"])
        out.append(entry)
    return out


def dhcp_opts_value(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"'{value}' is not a list")
    out = []
    for opt in value:
        if not isinstance(opt, dict) or "opt_name" not in opt or \
                set(opt) - {"opt_name", "opt_value", "ip_version"}:
            raise InvalidInput(f"Invalid data format for extra-dhcp-opt: {opt}")
        version = opt.get("ip_version", 4)
        if version not in (4, 6, "4", "6"):
            raise InvalidInput(f"'{version}' is not in [4, 6]")
        out.append({"opt_name": string(255)(opt["opt_name"]),
                    "opt_value": None if opt.get("opt_value") is None
                    else string(255)(str(opt["opt_value"])),
                    "ip_version": int(version)})
    return out


PORT = ResourceDef("port", "ports", "Port", (
    *standard_attrs(),
    Attr("network_id", uuid_str),
    Attr("admin_state_up", boolean, put=True, default=True, convert_filter=filter_bool),
    Attr("mac_address", mac_address, put=True, default=None, policy=True),
    Attr("fixed_ips", fixed_ips_value, put=True, default=None, sort=False),
    Attr("device_id", string(255), put=True, default=""),
    Attr("device_owner", string(255), put=True, default="", policy=True),
    Attr("status", post=False, default=None),
    Attr("port_security_enabled", boolean, put=True, default=None, policy=True,
         convert_filter=filter_bool),
    Attr("security_groups", uuid_list, put=True, default=None, sort=False),
    Attr("allowed_address_pairs", address_pairs_value, put=True, default=None, sort=False,
         filter=False),
    Attr("extra_dhcp_opts", dhcp_opts_value, put=True, default=None, sort=False,
         filter=False),
    Attr("binding:host_id", string(255), put=True, default="", policy=True),
    Attr("binding:vnic_type", one_of(*VNIC_TYPES), put=True, default="normal",
         policy=True),
    Attr("binding:profile", dict_value, put=True, default=None, policy=True, filter=False,
         sort=False),
    Attr("binding:vif_type", post=False, default=None, policy=True),
    Attr("binding:vif_details", post=False, default=None, policy=True, filter=False,
         sort=False),
    Attr("dns_name", string(255), put=True, default=""),
    Attr("dns_domain", string(255), put=True, default=""),
    Attr("dns_assignment", post=False, default=None, filter=False, sort=False),
    Attr("qos_policy_id", uuid_or_none, put=True, default=None),
    Attr("qos_network_policy_id", post=False, default=None),
    Attr("propagate_uplink_status", boolean, put=True, default=False,
         convert_filter=filter_bool),
    Attr("ip_allocation", post=False, default=None),
    Attr("resource_request", post=False, default=None, filter=False, sort=False),
    Attr("trunk_details", post=False, default=None, filter=False, sort=False),
), service="ports")
