"""Identity's errors, with Keystone's messages."""

from __future__ import annotations

from nimbus.kernel.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized


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
