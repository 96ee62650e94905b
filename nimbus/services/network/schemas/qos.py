"""QoS (neutron_lib.api.definitions.qos and its qos-default, qos-bw-limit-direction,
qos-rule-type-details and qos-rules-alias extensions): policies, and their rules as
sub-resources of a policy."""

from __future__ import annotations

from dataclasses import dataclass

from nimbus.services.network.schemas.attrs import (
    Attr,
    ResourceDef,
    boolean,
    filter_bool,
    filter_int,
    integer,
    one_of,
    standard_attrs,
)

INT_MAX = 2**31 - 1
VALID_DSCP_MARKS = (0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40,
                    44, 46, 48, 56)
DIRECTIONS = ("ingress", "egress")

QOS_POLICY = ResourceDef("policy", "policies", "QosPolicy", (
    *standard_attrs(),
    Attr("shared", boolean, put=True, default=False, convert_filter=filter_bool, sort=False),
    Attr("is_default", boolean, put=True, default=False, convert_filter=filter_bool),
    Attr("rules", post=False, default=None, filter=False, sort=False),
), service="qos_policies", path="qos/policies",
                        label="QoS policy")


def _dscp(value: object) -> int:
    number = integer()(value)
    return one_of(*VALID_DSCP_MARKS)(number)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class RuleType:
    """One rule type: its name (``bandwidth_limit``), its sub-resource (singular, plural)
    and the attribute map of its parameters."""

    name: str
    singular: str
    plural: str
    rd: ResourceDef
    # The parameters rule-type details lists for the driver (name -> (type, values)).
    parameters: tuple[tuple[str, str, object], ...]

    @property
    def alias_plural(self) -> str:
        return f"alias_{self.plural}"


def _rule_def(singular: str, plural: str, *attrs: Attr) -> ResourceDef:
    return ResourceDef(singular, plural, "QosRule", (
        Attr("id", post=False, default=None), *attrs,
    ), standard=False, taggable=False)


RANGE = {"start": 0, "end": INT_MAX}

BANDWIDTH_LIMIT = RuleType("bandwidth_limit", "bandwidth_limit_rule", "bandwidth_limit_rules",
                           _rule_def("bandwidth_limit_rule", "bandwidth_limit_rules",
                                     Attr("max_kbps", integer(0, INT_MAX), put=True,
                                          convert_filter=filter_int),
                                     Attr("max_burst_kbps", integer(0, INT_MAX), put=True,
                                          default=0, convert_filter=filter_int),
                                     Attr("direction", one_of(*DIRECTIONS), put=True,
                                          default="egress")),
                           (("max_kbps", "range", RANGE), ("max_burst_kbps", "range", RANGE),
                            ("direction", "choices", list(DIRECTIONS))))
DSCP_MARKING = RuleType("dscp_marking", "dscp_marking_rule", "dscp_marking_rules",
                        _rule_def("dscp_marking_rule", "dscp_marking_rules",
                                  Attr("dscp_mark", _dscp, put=True,
                                       convert_filter=filter_int)),
                        (("dscp_mark", "choices", list(VALID_DSCP_MARKS)),))
MINIMUM_BANDWIDTH = RuleType("minimum_bandwidth", "minimum_bandwidth_rule",
                             "minimum_bandwidth_rules",
                             _rule_def("minimum_bandwidth_rule", "minimum_bandwidth_rules",
                                       Attr("min_kbps", integer(0, INT_MAX), put=True,
                                            convert_filter=filter_int),
                                       Attr("direction", one_of("egress"), put=True,
                                            default="egress")),
                             (("min_kbps", "range", RANGE),
                              ("direction", "choices", ["egress"])))

RULE_TYPES = {t.name: t for t in (BANDWIDTH_LIMIT, DSCP_MARKING, MINIMUM_BANDWIDTH)}
