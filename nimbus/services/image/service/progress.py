"""What an import shows on its image while it runs, as Glance's import flow does:

* ``os_glance_import_task``: the task holding the image's import lock;
* ``os_glance_importing_to_stores``: the stores still to receive data (sorted, comma-joined);
* ``os_glance_failed_import``: the stores that did not.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.services.image.models import ImageProperty

LOCK = "os_glance_import_task"
IMPORTING = "os_glance_importing_to_stores"
FAILED = "os_glance_failed_import"


def properties(s: Session, image_id: str) -> dict[str, str]:
    rows = s.execute(select(ImageProperty.name, ImageProperty.value)
                     .where(ImageProperty.image_id == image_id))
    return {name: value for name, value in rows}


def set_property(s: Session, image_id: str, name: str, value: str) -> None:
    found = s.get(ImageProperty, (image_id, name))
    if found is None:
        s.add(ImageProperty(image_id=image_id, name=name, value=value))
    else:
        found.value = value


def drop_property(s: Session, image_id: str, name: str) -> None:
    found = s.get(ImageProperty, (image_id, name))
    if found is not None:
        s.delete(found)


def merge_stores(s: Session, image_id: str, name: str, add: Iterable[str] = (),
                 remove: Iterable[str] = ()) -> None:
    """Add stores to, or take them from, one of the store-list properties."""
    found = s.get(ImageProperty, (image_id, name))
    current = set(filter(None, (found.value if found else "").split(",")))
    merged = (current | set(add)) - set(remove)
    set_property(s, image_id, name, ",".join(sorted(merged)))
