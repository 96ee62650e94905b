"""Compute errors, and Nova's fault body: ``{"itemNotFound": {"code": 404, "message":
"..."}}``, the key naming the kind of fault by status (nova/api/openstack/wsgi.py's
``Fault._fault_names``)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import BadRequest, CloudError, Conflict, Forbidden, NotFound

_FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden",
                404: "itemNotFound", 405: "badMethod", 406: "notAcceptable",
                409: "conflictingRequest", 413: "overLimit", 415: "badMediaType",
                429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable"}


def nova_fault(err: CloudError) -> dict[str, Any]:
    name = _FAULT_NAMES.get(err.status, "computeFault")
    return {name: {"code": err.status, "message": err.message}}


class InvalidInput(BadRequest):
    """A request body that does not match the version's schema (Nova's ValidationError)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Invalid input for field/attribute {detail}")


class InstanceNotFound(NotFound):
    def __init__(self, server_id: str) -> None:
        super().__init__(f"Instance {server_id} could not be found.")


class InstanceInvalidState(Conflict):
    """An action the server's state does not allow (Nova's InstanceInvalidState -> 409)."""

    def __init__(self, action: str, attr: str, state: str, server_id: str) -> None:
        super().__init__(f"Cannot '{action}' instance {server_id} while it is in "
                         f"{attr} {state}")


class QuotaExceeded(Forbidden):
    """Nova answers an exceeded quota with 403 (overLimit was the v2.0 answer)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Quota exceeded for {detail}")


class FlavorNotFound(NotFound):
    def __init__(self, flavor_id: str) -> None:
        super().__init__(f"Flavor {flavor_id} could not be found.")


class FlavorExists(Conflict):
    pass


class FlavorExtraSpecNotFound(NotFound):
    def __init__(self, flavor_id: str, key: str) -> None:
        super().__init__(f"Flavor {flavor_id} has no extra specs with key {key}.")


class FlavorAccessConflict(Conflict):
    pass


class FlavorAccessNotFound(NotFound):
    pass


class KeypairNotFound(NotFound):
    def __init__(self, name: str, user_id: str) -> None:
        super().__init__(f"Keypair {name} not found for user {user_id}")


class KeypairExists(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"Key pair '{name}' already exists.")


class InvalidKeypair(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Keypair data is invalid: {reason}")


class ServerGroupNotFound(NotFound):
    def __init__(self, group_id: str) -> None:
        super().__init__(f"Instance group {group_id} could not be found.")


class AggregateNotFound(NotFound):
    def __init__(self, aggregate_id: object) -> None:
        super().__init__(f"Aggregate {aggregate_id} could not be found.")


class ComputeHostNotFound(NotFound):
    def __init__(self, host: str) -> None:
        super().__init__(f"Compute host {host} could not be found.")


class ServiceNotFound(NotFound):
    def __init__(self, service_id: object) -> None:
        super().__init__(f"Service {service_id} could not be found.")


class HypervisorNotFound(NotFound):
    def __init__(self, hypervisor_id: object) -> None:
        super().__init__(f"Hypervisor with ID '{hypervisor_id}' could not be found.")


class LimitExceeded(Forbidden):
    """A count quota past its limit, in Nova's words ("Quota exceeded, too many ...")."""
