"""Nova's validation of flavor extra specs (from 2.86): a key Nova knows must carry a value
of its kind; an unknown key in a namespace Nova owns (``hw:``, ``trait:``, ...) is refused;
keys of other namespaces, and keys without one, pass."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nimbus.kernel.errors import BadRequest
from nimbus.services.compute.schemas.extra_spec_registry import REGISTRY

_TRUE = {"1", "t", "true", "on", "y", "yes"}
_FALSE = {"0", "f", "false", "off", "n", "no"}


class ExtraSpecInvalid(BadRequest):
    """Nova answers these 400s with the validator's own words."""


@dataclass(frozen=True)
class SpecRule:
    name: str
    regex: re.Pattern[str]
    value: dict[str, Any]

    def check(self, name: str, value: str) -> None:
        kind = self.value["type"]
        if kind == "int":
            _check_int(value, self.value)
        elif kind == "bool":
            if value.strip().lower() not in _TRUE | _FALSE:
                raise ExtraSpecInvalid(f"Validation failed; '{value}' is not a valid "
                                       "boolean-like value.")
        elif "pattern" in self.value:
            if not re.fullmatch(self.value["pattern"], value):
                raise ExtraSpecInvalid(f"Validation failed; '{value}' is not of the format "
                                       f"'{self.value['pattern']}'.")
        elif "enum" in self.value and value not in self.value["enum"]:
            allowed = ", ".join(str(x) for x in self.value["enum"])
            raise ExtraSpecInvalid(f"Validation failed; '{value}' is not one of: {allowed}.")


def _check_int(value: str, rule: dict[str, Any]) -> None:
    try:
        number = int(value)
    except ValueError:
        raise ExtraSpecInvalid(f"Validation failed; '{value}' is not a valid integer "
                               "value.") from None
    if "max" in rule and rule["max"] < number:
        raise ExtraSpecInvalid(f"Validation failed; '{value}' is greater than the max "
                               f"value of '{rule['max']}'.")
    if "min" in rule and rule["min"] > number:
        raise ExtraSpecInvalid(f"Validation failed; '{value}' is less than the min value "
                               f"of '{rule['min']}'.")


def _rule(entry: tuple[Any, ...]) -> SpecRule:
    name, value = entry[0], entry[1]
    pattern = re.escape(name)
    for param in entry[2] if len(entry) > 2 else []:
        pattern = pattern.replace(re.escape("{" + param["name"] + "}"),
                                  f"(?P<{param['name']}>{param['pattern']})")
    return SpecRule(name, re.compile(pattern), value)


@lru_cache(maxsize=1)
def _rules() -> tuple[dict[str, SpecRule], tuple[SpecRule, ...], tuple[re.Pattern[str], ...]]:
    rules = [_rule(e) for e in REGISTRY]
    exact = {r.name: r for r in rules if "{" not in r.name}
    namespaces = {r.regex.pattern.split(":", 1)[0] for r in rules if ":" in r.regex.pattern}
    return exact, tuple(rules), tuple(re.compile(n) for n in sorted(namespaces))


def validate_extra_spec(name: str, value: str) -> None:
    exact, rules, namespaces = _rules()
    if name in exact:
        exact[name].check(name, value)
        return
    for rule in rules:
        if rule.regex.fullmatch(name):
            rule.check(name, value)
            return
    if ":" not in name:
        return
    prefix = name.split(":", 1)[0]
    if any(ns.fullmatch(prefix) for ns in namespaces):
        raise ExtraSpecInvalid(f"Validation failed; extra spec '{name}' does not appear to "
                               "be a valid extra spec.")
