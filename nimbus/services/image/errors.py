"""Image errors, and Glance's fault body: ``{"message", "code": "404 Not Found", "title"}``."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.errors import (
    BadRequest,
    CloudError,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)


def glance_fault(err: CloudError) -> dict[str, Any]:
    """The JSON body webob gives Glance's errors when the client accepts JSON."""
    return {"message": err.message, "code": f"{err.status} {err.phrase}", "title": err.phrase}


class ImageNotFound(NotFound):
    def __init__(self, image_id: str) -> None:
        super().__init__(f"No image found with ID {image_id}")


class MemberNotFound(NotFound):
    def __init__(self, member_id: str, image_id: str) -> None:
        super().__init__(f"{member_id} not found in the member list of the image {image_id}.")


class TagNotFound(NotFound):
    def __init__(self, tag: str) -> None:
        super().__init__(f"Tag {tag} not found")


class ReadOnlyAttribute(Forbidden):
    def __init__(self, name: str) -> None:
        super().__init__(f"Attribute '{name}' is read-only.")


class ReservedAttribute(Forbidden):
    def __init__(self, name: str) -> None:
        super().__init__(f"Attribute '{name}' is reserved.")


class InvalidStatusTransition(Conflict):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"Image status transition from {current} to {wanted} is not allowed")


class OverLimit(PayloadTooLarge):
    """A quota or a size cap: 413, as Glance answers both."""


class InvalidImageData(UnsupportedMediaType):
    """The data does not match its disk_format or fails a safety check (415, as Glance)."""


class ImageGone(Gone):
    def __init__(self, image_id: str) -> None:
        super().__init__(f"Image {image_id} could not be found after upload. The image may "
                         "have been deleted during the upload.")


class RangeNotSatisfiable(CloudError):
    status = 416


class StorageUnavailable(CloudError):
    """The store refuses writes (permissions, a read-only filesystem): 503, as Glance."""

    status = 503


class InvalidFilter(BadRequest):
    pass


class UnknownStore(BadRequest):
    """A store id no store has (glance_store's UnknownScheme): 400 for data uploads."""

    def __init__(self, store_id: str) -> None:
        super().__init__(f"Unknown scheme '{store_id}' found in URI")


class UnknownImportStore(Conflict):
    """The same, asked of an import: Glance answers 409 there."""

    def __init__(self, store_id: str) -> None:
        super().__init__(f"Unknown scheme '{store_id}' found in URI")


class TaskNotFound(NotFound):
    def __init__(self, task_id: str) -> None:
        super().__init__(f"Task with the given id {task_id} was not found")


__all__ = ["BadRequest", "Conflict", "Forbidden"]


class NamespaceNotFound(NotFound):
    def __init__(self, namespace: str) -> None:
        super().__init__(f"Namespace {namespace} not found")


class MetadefNotFound(NotFound):
    """An object, property or tag missing from a namespace the caller can see."""

    def __init__(self, kind: str, name: str, namespace: str) -> None:
        super().__init__(f"The metadata definition {kind} with name={name} was not found "
                         f"in namespace={namespace}.")


class ResourceTypeAssociationNotFound(NotFound):
    def __init__(self, resource_type: str) -> None:
        super().__init__(f"Failed to find resource type {resource_type} to delete")


class MetadefDuplicate(Conflict):
    pass


class MetadefProtected(Forbidden):
    """Deleting from a protected namespace (Glance answers 403)."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"Metadata definition {kind} {name} is protected and cannot be "
                         "deleted.")


class PropertyPrefixMismatch(NotFound):
    def __init__(self, name: str, prefix: str | None) -> None:
        super().__init__(f"Property {name} does not start with the expected resource type "
                         f"association prefix of '{prefix}'.")


class ResourceTypeAssociationMissing(NotFound):
    def __init__(self, resource_type: str, namespace: str) -> None:
        super().__init__(f"The metadata definition resource-type association of "
                         f"resource-type={resource_type} to namespace={namespace}, was not "
                         "found.")
