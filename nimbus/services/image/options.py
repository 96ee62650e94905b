"""The image service's options, with Glance's defaults.

Read from ``settings.image`` when the settings carry such a section (any object with some of
these attributes); every option missing there keeps its default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")


@dataclass(frozen=True)
class ImageOptions:
    disk_formats: tuple[str, ...] = DISK_FORMATS
    container_formats: tuple[str, ...] = CONTAINER_FORMATS
    # The largest image accepted, in bytes (Glance's image_size_cap: 1 TiB).
    image_size_cap: int = 1 << 40
    # Refuse data that doesn't look like its disk_format (Glance's require_image_format_match).
    require_format_match: bool = True
    image_member_quota: int = 128
    image_property_quota: int = 128
    image_tag_quota: int = 128
    limit_param_default: int = 25
    api_limit_max: int = 1000
    store_driver: str = "file"
    store_id: str = "local"
    store_description: str = "Image data in the data directory"
    # Seconds after which a write left behind by a dead process is removed at start.
    stale_upload_age: int = 86400

    @classmethod
    def from_settings(cls, settings: Any) -> ImageOptions:
        section = getattr(settings, "image", None)
        if section is None:
            return cls()
        found = {f.name: getattr(section, f.name) for f in dataclasses.fields(cls)
                 if hasattr(section, f.name)}
        for name in ("disk_formats", "container_formats"):
            if isinstance(found.get(name), str):
                found[name] = tuple(v.strip() for v in found[name].split(",") if v.strip())
        return cls(**found)


def image_dir(settings: Any) -> Path:
    return Path(settings.data_dir) / "images"
