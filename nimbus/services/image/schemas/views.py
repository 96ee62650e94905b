"""Response shapes: images, members and tasks as Glance renders them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.services.image.service.records import ImageRecord, MemberRecord, TaskRecord

SHOWN = ("name", "disk_format", "container_format", "visibility", "size", "virtual_size",
         "status", "checksum", "protected", "min_ram", "min_disk", "owner", "os_hidden",
         "os_hash_algo", "os_hash_value")


def isotime(when: dt.datetime | None) -> str | None:
    return None if when is None else when.replace(microsecond=0).isoformat() + "Z"


def image_view(image: ImageRecord) -> dict[str, Any]:
    view: dict[str, Any] = dict(image.properties)
    view.update({name: getattr(image, name) for name in SHOWN})
    view.update({
        "id": image.id,
        "created_at": isotime(image.created_at),
        "updated_at": isotime(image.updated_at),
        "tags": list(image.tags),
        "self": f"/v2/images/{image.id}",
        "file": f"/v2/images/{image.id}/file",
        "schema": "/v2/schemas/image",
    })
    if image.store and image.location:
        view["stores"] = image.store
    return view


def member_view(member: MemberRecord) -> dict[str, Any]:
    return {"member_id": member.member_id, "image_id": member.image_id,
            "status": member.status, "created_at": isotime(member.created_at),
            "updated_at": isotime(member.updated_at), "schema": "/v2/schemas/member"}


def task_view(task: TaskRecord) -> dict[str, Any]:
    return {"id": task.id, "type": task.type, "status": task.status, "owner": task.owner,
            "input": task.input, "result": task.result, "message": task.message,
            "image_id": task.image_id, "request_id": task.request_id,
            "user_id": task.user_id, "created_at": isotime(task.created_at),
            "updated_at": isotime(task.updated_at), "expires_at": isotime(task.expires_at)}
