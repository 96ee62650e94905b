"""The image service's options, with Glance's defaults.

Read from ``settings.image`` when the settings carry such a section (any object with some of
these attributes); every option missing there keeps its default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbus.config import ImageSettings

# The operator-facing defaults live in config.ImageSettings; these are the same values.
_SETTINGS = ImageSettings()


def _formats(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


DISK_FORMATS = _formats(_SETTINGS.disk_formats)
CONTAINER_FORMATS = _formats(_SETTINGS.container_formats)


# Options written as comma-separated lists in the settings.
LISTS = ("disk_formats", "container_formats", "import_methods",
         "web_download_allowed_schemes", "web_download_allowed_hosts",
         "web_download_allowed_ports")


@dataclass(frozen=True)
class ImageOptions:
    disk_formats: tuple[str, ...] = DISK_FORMATS
    container_formats: tuple[str, ...] = CONTAINER_FORMATS
    # The largest image accepted, in bytes (Glance's image_size_cap).
    image_size_cap: int = _SETTINGS.image_size_cap
    # Refuse data that doesn't look like its disk_format (Glance's require_image_format_match).
    require_format_match: bool = _SETTINGS.require_format_match
    image_member_quota: int = _SETTINGS.image_member_quota
    image_property_quota: int = _SETTINGS.image_property_quota
    image_tag_quota: int = _SETTINGS.image_tag_quota
    limit_param_default: int = _SETTINGS.limit_param_default
    api_limit_max: int = _SETTINGS.api_limit_max
    store_driver: str = "file"
    store_id: str = "local"
    store_description: str = "Image data in the data directory"
    # Seconds after which a write left behind by a dead process is removed at start.
    stale_upload_age: int = 86400
    image_cache_dir: str = _SETTINGS.image_cache_dir
    image_cache_max_size: int = _SETTINGS.image_cache_max_size
    # More file stores, "id=directory,..." (see config.ImageSettings), and the default one.
    stores: str = _SETTINGS.stores
    default_store: str = _SETTINGS.default_store
    store_weights: str = _SETTINGS.store_weights
    import_methods: tuple[str, ...] = _formats(_SETTINGS.import_methods)
    web_download_allowed_schemes: tuple[str, ...] = _formats(
        _SETTINGS.web_download_allowed_schemes)
    web_download_allowed_hosts: tuple[str, ...] = _formats(
        _SETTINGS.web_download_allowed_hosts)
    web_download_allowed_ports: tuple[str, ...] = _formats(
        _SETTINGS.web_download_allowed_ports)

    @classmethod
    def from_settings(cls, settings: Any) -> ImageOptions:
        section = getattr(settings, "image", None)
        if section is None:
            return cls()
        found = {f.name: getattr(section, f.name) for f in dataclasses.fields(cls)
                 if hasattr(section, f.name)}
        for name in LISTS:
            if isinstance(found.get(name), str):
                found[name] = _formats(found[name])
        return cls(**found)


def image_dir(settings: Any) -> Path:
    return Path(settings.data_dir) / "images"


def image_cache_dir(settings: Any, options: ImageOptions) -> Path:
    """Glance's image_cache_dir: where this node keeps its cached image files."""
    if options.image_cache_dir:
        return Path(options.image_cache_dir).expanduser()
    return Path(settings.data_dir) / "image-cache"
