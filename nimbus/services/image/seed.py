"""The test guest image that `nimbus up` offers every project, once it has been built."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from nimbus.kernel.errors import CloudError
from nimbus.kernel.runtime import Runtime
from nimbus.services.image.schemas.image import NewImage
from nimbus.services.image.service import image_of
from nimbus.services.image.service.listing import ListQuery
from nimbus.services.image.service.records import Caller

log = logging.getLogger(__name__)

GUEST_IMAGE_NAME = "cirros-nimbus"
CHUNK = 1 << 20


def default_guest_image() -> Path:
    """Where guest/build.sh leaves the image in a checkout: <repo>/build/guest/."""
    return Path(__file__).resolve().parents[3] / "build" / "guest" / "nimbus-guest.qcow2"


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            yield block


def register_guest_image(runtime: Runtime, admin_project_id: str, path: Path) -> str | None:
    """Create the public image from ``path`` unless an active one of that name exists.
    Returns the new image's id, or None when there was nothing to do."""
    if not path.is_file():
        return None
    service = image_of(runtime)
    caller = Caller(project_id=admin_project_id, is_admin=True)
    existing, _ = service.list_images(caller, ListQuery(filters={"name": GUEST_IMAGE_NAME}))
    if any(r.status == "active" for r in existing):
        return None
    record = service.images.create(caller, NewImage(
        core={"name": GUEST_IMAGE_NAME, "disk_format": "qcow2", "container_format": "bare",
              "visibility": "public", "min_ram": 96},
        extra={"description": "Nimbus test guest: busybox, DHCP, metadata, SSH (root/nimbus)"},
        tags=["nimbus-guest"]))
    try:
        service.data.upload(caller, record.id, _chunks(path), path.stat().st_size)
    except CloudError as err:
        # A full store or a quota must not keep the cloud from starting: say so, drop the
        # empty image, and try again at the next start.
        log.warning("could not register %s from %s: %s", GUEST_IMAGE_NAME, path, err.message)
        service.images.delete(caller, record.id)
        return None
    log.info("registered %s from %s as image %s", GUEST_IMAGE_NAME, path, record.id)
    return record.id


def seed_metadefs(runtime: Runtime) -> list[str]:
    """Glance's standard metadata definition namespaces, each created once per cloud."""
    from nimbus.services.image.service.metadefs.seeding import seed_standard_namespaces

    return seed_standard_namespaces(runtime.db)
