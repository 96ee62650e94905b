"""Security groups and their rules (Neutron's securitygroup extension with stateful,
normalized-cidr, remote-address-group, shared-filtering and belongs-to-default-sg).

The converters raise Neutron's own typed errors (``convert_to`` in Neutron's attribute maps),
which reach the caller unchanged; the rest is checked by the store (``service/sg_rules.py``).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from nimbus.services.network.errors import ConflictNeutron, InvalidNeutron
from nimbus.services.network.schemas.attrs import (
    NAME_MAX,
    Attr,
    ResourceDef,
    boolean,
    filter_bool,
    filter_int,
    one_of,
    standard_attrs,
    string,
)

# neutron_lib.constants.IP_PROTOCOL_MAP, in its order (the error message lists them so).
IP_PROTOCOL_MAP = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2,
    "ip": 0, "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113,
    "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}
# '58' is 'ipv6-icmp', never the legacy 'icmpv6'.
NUM_TO_NAME = {str(v): k for k, v in IP_PROTOCOL_MAP.items() if k != "icmpv6"}
PROTO_ANY = (None, "any")
SUPPORTED_PROTOCOLS = (*PROTO_ANY, *IP_PROTOCOL_MAP)
ETHERTYPES = ["IPv4", "IPv6"]
PORT_PROTOCOLS = ("dccp", "sctp", "tcp", "udp", "udplite")
PORT_PROTOCOL_NUMS = (33, 132, 6, 17, 136)
# Protocols only IPv6 carries: an IPv4 rule naming one is refused.
IPV6_ONLY = ("ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts",
             "ipv6-route", "41", "44", "58", "59", "60", "43")


def protocol_value(value: Any) -> str | None:
    """A name (any case) from Neutron's list, or a number 0-255 kept as text."""
    if value in PROTO_ANY:
        return None
    bad = InvalidNeutron(
        "SecurityGroupRuleInvalidProtocol",
        f"Security group rule protocol {value} not supported. Only protocol values "
        f"{SUPPORTED_PROTOCOLS!r} and integer representations [0 to 255] are supported.")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise bad
    try:
        number = int(value)
    except ValueError:
        if isinstance(value, str) and value.lower() in IP_PROTOCOL_MAP:
            return value.lower()
        raise bad from None
    if 0 <= number <= 255:
        return str(value).strip()
    raise bad


def ethertype_value(value: Any) -> str:
    if isinstance(value, str):
        for ethertype in ETHERTYPES:
            if ethertype.lower() == value.lower():
                return ethertype
    raise InvalidNeutron("SecurityGroupRuleInvalidEtherType",
                         f"Security group rule for ethertype '{value}' not supported. "
                         f"Allowed values are {ETHERTYPES}.")


def port_value(value: Any) -> int | None:
    """oslo's is_valid_port: anything int() takes, 0 to 65535."""
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if 0 <= number <= 65535:
        return number
    raise InvalidNeutron("SecurityGroupInvalidPortValue", f"Invalid value for port {value}")


def ip_prefix_value(value: Any) -> str | None:
    """An address or a network, with its mask always written (10.0.0.5 -> 10.0.0.5/32);
    host bits are kept, as Neutron keeps them (``normalized_cidr`` drops them)."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_interface(value if isinstance(value, str) else ""))
    except ValueError:
        raise InvalidNeutron("InvalidCIDR",
                             f"Invalid CIDR {value} given as IP prefix.") from None


def normalized_cidr(prefix: str | None) -> str | None:
    return str(ipaddress.ip_interface(prefix).network) if prefix else None


def group_name(value: Any) -> str:
    """Any name but "default" (in any case): that one is the project's own group."""
    name = string(NAME_MAX)(value)
    if name.lower() == "default":
        raise ConflictNeutron("SecurityGroupDefaultAlreadyExists",
                              "Default security group already exists.")
    return name  # type: ignore[no-any-return]


def id_string(value: Any) -> str:
    return string(36)(value)  # type: ignore[no-any-return]


def nullable_id(value: Any) -> str | None:
    return None if value is None else id_string(value)


SECURITY_GROUP = ResourceDef("security_group", "security_groups", "SecurityGroup", (
    *(a for a in standard_attrs() if a.name != "name"),
    Attr("name", group_name, put=True, default=""),
    Attr("stateful", boolean, put=True, default=True, convert_filter=filter_bool),
    Attr("shared", post=False, default=False, convert_filter=filter_bool, sort=False),
    Attr("security_group_rules", post=False, default=None, filter=False, sort=False),
), service="security_groups", path="security-groups")


SECURITY_GROUP_RULE = ResourceDef("security_group_rule", "security_group_rules",
                                  "SecurityGroupRule", (
    *(a for a in standard_attrs(name=False) if a.name != "tags"),
    Attr("security_group_id", id_string),
    Attr("direction", one_of("ingress", "egress")),
    Attr("ethertype", ethertype_value, default="IPv4"),
    Attr("protocol", protocol_value, default=None),
    Attr("port_range_min", port_value, default=None, convert_filter=filter_int),
    Attr("port_range_max", port_value, default=None, convert_filter=filter_int),
    Attr("remote_ip_prefix", ip_prefix_value, default=None),
    Attr("remote_group_id", nullable_id, default=None),
    Attr("remote_address_group_id", nullable_id, default=None),
    Attr("normalized_cidr", post=False, default=None),
    Attr("belongs_to_default_sg", post=False, default=None, convert_filter=filter_bool,
         sort=False),
), service="security_group_rules", path="security-group-rules", taggable=False)
