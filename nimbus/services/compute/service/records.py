"""Small shared pieces of the servers family: hostnames, instance actions and their
events, faults, and the instance row's plain view."""

from __future__ import annotations

import re
import traceback
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.kernel.db import utcnow
from nimbus.services.compute.models.servers import (
    Instance,
    InstanceAction,
    InstanceActionEvent,
    InstanceFault,
)


def sanitize_hostname(name: str) -> str:
    """Nova's sanitize_hostname: RFC 952/1123 characters, lower case, at most 63."""
    name = name.encode("latin-1", "ignore").decode("latin-1")[:63]
    name = re.sub(r"[ _\.]", "-", name)
    name = re.sub(r"[^\w.-]+", "", name)
    return name.lower().strip(".-")


def instance_name(row: Instance) -> str:
    """Nova's instance_name_template, instance-%08x."""
    return f"instance-{row.seq:08x}"


def start_action(s: Session, row: Instance, action: str, ctx: Any,
                 request_id: str | None) -> InstanceAction:
    record = InstanceAction(instance_id=row.id, action=action,
                            request_id=request_id or "", project_id=ctx.project_id or "",
                            user_id=ctx.user_id or "", start_time=utcnow(),
                            updated_at=utcnow())
    s.add(record)
    s.flush()
    return record


def start_event(s: Session, instance_id: str, event: str, host: str | None = None) -> None:
    """An event of the instance's newest action (Nova's compute__<method>)."""
    action = s.scalars(select(InstanceAction).where(InstanceAction.instance_id == instance_id)
                       .order_by(InstanceAction.id.desc()).limit(1)).first()
    if action is None:
        return
    s.add(InstanceActionEvent(action_id=action.id, event=event, start_time=utcnow(),
                              host=host))
    action.updated_at = utcnow()


def finish_event(s: Session, instance_id: str, event: str, error: BaseException | None = None
                 ) -> None:
    action = s.scalars(select(InstanceAction).where(InstanceAction.instance_id == instance_id)
                       .order_by(InstanceAction.id.desc()).limit(1)).first()
    if action is None:
        return
    found = s.scalars(select(InstanceActionEvent).where(
        InstanceActionEvent.action_id == action.id, InstanceActionEvent.event == event,
        InstanceActionEvent.finish_time.is_(None))).first()
    if found is None:
        found = InstanceActionEvent(action_id=action.id, event=event, start_time=utcnow())
        s.add(found)
    found.finish_time = utcnow()
    found.result = "Error" if error is not None else "Success"
    if error is not None:
        found.traceback = "".join(traceback.format_exception(error))[-4000:]
        action.message = "Error"
    action.finish_time = utcnow()
    action.updated_at = utcnow()


def add_fault(s: Session, row: Instance, message: str, code: int = 500, details: str = ""
              ) -> None:
    s.add(InstanceFault(instance_id=row.id, code=code, message=message[:255],
                        details=details, host=row.host, created_at=utcnow()))
