"""Neutron's attribute maps, as data: an ``Attr`` per field of a resource, and the
validators its values pass through (``neutron_lib.api.validators``' messages).

A validator takes the raw JSON value and returns the stored value, or raises
``InvalidInput``. The same map drives POST and PUT checks, defaults, ``fields=``, filters
and sort keys for the resource (see ``api/resource.py``).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nimbus.services.network.errors import InvalidInput

Validator = Callable[[Any], Any]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
NAME_MAX = 255
DESCRIPTION_MAX = 255


@dataclass(frozen=True)
class Attr:
    name: str
    validate: Validator | None = None
    post: bool = True                   # allowed in POST
    put: bool = False                   # allowed in PUT
    default: Any = REQUIRED             # REQUIRED: must be given on POST (if post)
    visible: bool = True                # shown in answers
    policy: bool = False                # checked per attribute: <action>_<res>:<attr>
    filter: bool = True                 # a query filter
    sort: bool = True                   # a sort key
    # Turns a query string value into what the filter compares (e.g. "true" -> True).
    convert_filter: Validator | None = None


@dataclass(frozen=True)
class ResourceDef:
    singular: str                       # "network"
    plural: str                         # "networks"
    kind: str                           # "Network": NetworkNotFound
    attrs: tuple[Attr, ...]
    # The service facade's member with list/get/create/update/delete ("networks").
    service: str = ""
    # Has project_id/tenant_id, name, description, tags and the other standard attributes.
    standard: bool = True
    taggable: bool = True
    # The URL segment when it is not the plural ("rbac-policies" for rbac_policies).
    path: str = ""
    by_name: dict[str, Attr] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {a.name: a for a in self.attrs})

    @property
    def collection(self) -> str:
        return self.path or self.plural


# -- validators -------------------------------------------------------------------------

def _fail(detail: str) -> Any:
    raise InvalidInput(detail)


def string(max_len: int | None = NAME_MAX, *, nullable: bool = False) -> Validator:
    def check(value: Any) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            _fail(f"'{value}' is not a valid string")
        if max_len is not None and len(value) > max_len:
            _fail(f"'{value[:64]}...' exceeds maximum length of {max_len}"
                  if len(value) > 80 else f"'{value}' exceeds maximum length of {max_len}")
        return value
    return check


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return _fail(f"'{value}' cannot be converted to boolean")


def integer(low: int | None = None, high: int | None = None, *,
            nullable: bool = False) -> Validator:
    def check(value: Any) -> Any:
        if value is None and nullable:
            return None
        if isinstance(value, bool):
            _fail(f"'{value}' is not an integer")
        try:
            number = int(value)
        except (TypeError, ValueError):
            return _fail(f"'{value}' is not an integer")
        if isinstance(value, float) and value != number:
            _fail(f"'{value}' is not an integer")
        if low is not None and number < low:
            _fail(f"'{number}' is too small - must be at least '{low}'")
        if high is not None and number > high:
            _fail(f"'{number}' is too large - must be no larger than '{high}'")
        return number
    return check


_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def uuid_str(value: Any) -> str:
    if not isinstance(value, str) or not _UUID.match(value):
        _fail(f"'{value}' is not a valid UUID")
    return str(uuid.UUID(value))


def uuid_or_none(value: Any) -> str | None:
    return None if value is None else uuid_str(value)


def uuid_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        _fail(f"'{value}' is not a list")
    out = [uuid_str(v) for v in value]
    if len(set(out)) != len(out):
        _fail(f"Duplicate items in the list: '{', '.join(out)}'")
    return out


def one_of(*choices: Any, nullable: bool = False) -> Validator:
    def check(value: Any) -> Any:
        if value is None and nullable:
            return None
        if value not in choices:
            _fail(f"'{value}' is not in {list(choices)}")
        return value
    return check


def ip_address(version: int | None = None, *, nullable: bool = False) -> Validator:
    def check(value: Any) -> Any:
        if value is None and nullable:
            return None
        try:
            ip = ipaddress.ip_address(value if isinstance(value, str) else "")
        except ValueError:
            return _fail(f"'{value}' is not a valid IP address")
        if version is not None and ip.version != version:
            _fail(f"'{value}' is not a valid IP address")
        return str(ip)
    return check


def cidr(value: Any) -> str:
    """A network in CIDR form; host bits must be zero, as Neutron's subnet_cidr."""
    if not isinstance(value, str) or "/" not in value:
        _fail(f"'{value}' is not a valid IP subnet")
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return _fail(f"'{value}' is not a valid IP subnet")
    if str(net) != str(ipaddress.ip_interface(value).network) or \
            net.network_address != ipaddress.ip_interface(value).ip:
        _fail(f"'{value}' isn't a recognized IP subnet cidr, '{net}' is recommended")
    return str(net)


def ip_or_cidr(value: Any) -> str:
    """An address or a network (remote_ip_prefix, allowed address pairs); normalised."""
    try:
        return str(ipaddress.ip_network(value if isinstance(value, str) else "",
                                        strict=False))
    except ValueError:
        return _fail(f"'{value}' is neither a valid IP address, nor is it a valid IP subnet")


_MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")


def mac_address(value: Any) -> str:
    if not isinstance(value, str) or not _MAC.match(value):
        _fail(f"'{value}' is not a valid MAC address")
    mac = value.lower().replace("-", ":")
    if int(mac.split(":")[0], 16) & 1 or mac == "00:00:00:00:00:00":
        _fail(f"'{value}' is not a valid MAC address")
    return mac


def list_of(item: Validator) -> Validator:
    def check(value: Any) -> Any:
        if not isinstance(value, list):
            _fail(f"'{value}' is not a list")
        return [item(v) for v in value]
    return check


def dict_value(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(f"'{value}' is not a dictionary")
    return value


def filter_bool(value: str) -> Any:
    return boolean(value)


def filter_int(value: str) -> Any:
    return integer()(value)


# -- the attributes every standard resource has ------------------------------------------

def standard_attrs(*, name: bool = True, description: bool = True) -> tuple[Attr, ...]:
    attrs = [
        Attr("id", uuid_str, post=False, default=None),
        Attr("project_id", string(NAME_MAX), default=None, policy=False),
        Attr("tenant_id", string(NAME_MAX), default=None),
        Attr("created_at", post=False, default=None, sort=True),
        Attr("updated_at", post=False, default=None, sort=True),
        Attr("revision_number", post=False, default=None,
             convert_filter=filter_int),
        Attr("tags", post=False, default=None, filter=False, sort=False),
    ]
    if name:
        attrs.insert(1, Attr("name", string(NAME_MAX), put=True, default=""))
    if description:
        attrs.append(Attr("description", string(DESCRIPTION_MAX), put=True, default=""))
    return tuple(attrs)


def with_defaults(rd: ResourceDef, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every POST default the API would fill in (for Nimbus' own creates)."""
    out = dict(values)
    for attr in rd.attrs:
        if attr.post and attr.name not in out and attr.default is not REQUIRED:
            out[attr.name] = attr.default
    out.setdefault("tenant_id", out.get("project_id"))
    return out
