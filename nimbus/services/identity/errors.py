"""Identity's errors, with Keystone's messages."""

from __future__ import annotations

from nimbus.kernel.errors import (
    BadRequest,
    CloudError,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
)


class ResourceNotFound(NotFound):
    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"Could not find {kind}: {ident}.")


class Duplicate(Conflict):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"Conflict occurred attempting to store {kind} - {detail}.")


class TokenNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Could not recognize Fernet token")


class AuthFailed(Unauthorized):
    pass


class AccountLocked(Unauthorized):
    def __init__(self, user_id: str) -> None:
        super().__init__(f"The account is locked for user: {user_id}.")


class PasswordRejected(BadRequest):
    pass


class ForbiddenAction(Forbidden):
    pass


class SchemaError(BadRequest):
    pass


# -- federation -------------------------------------------------------------------------------
class IdentityProviderNotFound(NotFound):
    def __init__(self, idp_id: str) -> None:
        super().__init__(f"Could not find Identity Provider: {idp_id}.")


class ServiceProviderNotFound(NotFound):
    def __init__(self, sp_id: str) -> None:
        super().__init__(f"Could not find Service Provider: {sp_id}.")


class MappingNotFound(NotFound):
    def __init__(self, mapping_id: str) -> None:
        super().__init__(f"Could not find mapping: {mapping_id}.")


class FederatedProtocolNotFound(NotFound):
    def __init__(self, idp_id: str, protocol_id: str) -> None:
        super().__init__(f"Could not find federated protocol {protocol_id} for Identity "
                         f"Provider: {idp_id}.")


class IdentityProviderDisabled(Forbidden):
    def __init__(self, idp_id: str) -> None:
        super().__init__(f"Identity Provider {idp_id} is disabled")


class InvalidDomainConfig(Forbidden):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid domain specific configuration: {reason}.")


class DomainConfigNotFound(NotFound):
    def __init__(self, domain_id: str, what: str) -> None:
        super().__init__(f"Could not find {what} in domain configuration for domain "
                         f"{domain_id}.")


class ReadOnlyDirectory(Forbidden):
    """A write to the users or groups of a domain backed by a read-only directory."""

    def __init__(self) -> None:
        super().__init__("LDAP does not support write operations")


class DirectoryUnavailable(CloudError):
    """The domain's directory did not answer or refused our bind: Keystone's 500, which
    keeps the reason (logged) from the caller."""

    def __init__(self) -> None:
        super().__init__("An unexpected error prevented the server from fulfilling your "
                         "request.")
