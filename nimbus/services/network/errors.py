"""Networking errors, and Neutron's fault body:
``{"NeutronError": {"type": "NetworkNotFound", "message": "...", "detail": ""}}``.

``type`` is the name of Neutron's exception class; a typed error here carries it as its
own class name (or ``neutron_type``); the kernel's generic errors render as webob's
``HTTPBadRequest``, ``HTTPNotFound``... as Neutron's do.
"""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import (
    BadRequest,
    CloudError,
    Conflict,
    Forbidden,
    NotFound,
)

_GENERIC = {400: "HTTPBadRequest", 401: "HTTPUnauthorized", 403: "HTTPForbidden",
            404: "HTTPNotFound", 405: "HTTPMethodNotAllowed", 406: "HTTPNotAcceptable",
            409: "HTTPConflict", 412: "HTTPPreconditionFailed", 413: "HTTPRequestEntityTooLarge",
            415: "HTTPUnsupportedMediaType", 500: "HTTPInternalServerError",
            501: "HTTPNotImplemented", 503: "HTTPServiceUnavailable"}


class NeutronError(CloudError):
    """A Neutron exception: its class name is the fault's ``type``."""

    neutron_type: str | None = None


def neutron_type(err: CloudError) -> str:
    if isinstance(err, NeutronError):
        return err.neutron_type or type(err).__name__
    return _GENERIC.get(err.status, "HTTPError")


def neutron_fault(err: CloudError) -> dict[str, Any]:
    return {"NeutronError": {"type": neutron_type(err), "message": err.message,
                             "detail": ""}}


class InvalidInput(NeutronError, BadRequest):
    def __init__(self, detail: str) -> None:
        super().__init__(f"Invalid input for operation: {detail}.")


class BadRequestNeutron(NeutronError, BadRequest):
    """Neutron's ``BadRequest``: "Bad <resource> request: <msg>."."""

    neutron_type = "BadRequest"

    def __init__(self, resource: str, msg: str) -> None:
        super().__init__(f"Bad {resource} request: {msg}.")


class PolicyNotAuthorized(NeutronError, Forbidden):
    def __init__(self, action: str) -> None:
        super().__init__(f"({action}) is disallowed by policy")


class ResourceNotFound(NeutronError, NotFound):
    """``<Kind>NotFound``: "<Kind> <id> could not be found." (NetworkNotFound, ...)."""

    def __init__(self, kind: str, resource_id: str, *, label: str | None = None) -> None:
        self.neutron_type = f"{kind}NotFound"
        super().__init__(f"{label or kind} {resource_id} could not be found.")


class InUse(NeutronError, Conflict):
    """``<Kind>InUse`` (NetworkInUse, SubnetInUse, ...): 409."""

    def __init__(self, kind: str, message: str) -> None:
        self.neutron_type = f"{kind}InUse"
        super().__init__(message)


class ConflictNeutron(NeutronError, Conflict):
    def __init__(self, neutron_type: str, message: str) -> None:
        self.neutron_type = neutron_type
        super().__init__(message)


class PreconditionFailed(NeutronError):
    status = 412
    neutron_type = "RevisionNumberConstraintFailed"

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"Constrained to {expected}, but current revision is {current}")


class OverQuota(NeutronError, Conflict):
    def __init__(self, resources: str) -> None:
        super().__init__(f"Quota exceeded for resources: ['{resources}'].")


class NotImplementedNeutron(NeutronError):
    status = 501
    neutron_type = "NotImplementedError"


# -- security groups and address groups (neutron/extensions/securitygroup.py,
#    neutron_lib/exceptions/address_group.py): Neutron's own types and words ---------------

class InvalidNeutron(NeutronError, BadRequest):
    """A 400 with Neutron's own exception type (SecurityGroupInvalidPortValue, ...)."""

    def __init__(self, neutron_type: str, message: str) -> None:
        self.neutron_type = neutron_type
        super().__init__(message)


class NotFoundNeutron(NeutronError, NotFound):
    """A 404 whose words are not "<Kind> <id> could not be found."."""

    def __init__(self, neutron_type: str, message: str) -> None:
        self.neutron_type = neutron_type
        super().__init__(message)


def security_group_not_found(group_id: str) -> NotFoundNeutron:
    return NotFoundNeutron("SecurityGroupNotFound", f"Security group {group_id} does not exist")


def security_group_rule_not_found(rule_id: str) -> NotFoundNeutron:
    return NotFoundNeutron("SecurityGroupRuleNotFound",
                           f"Security group rule {rule_id} does not exist")


def address_group_not_found(group_id: str) -> NotFoundNeutron:
    return NotFoundNeutron("AddressGroupNotFound",
                           f"Address group {group_id} could not be found.")
