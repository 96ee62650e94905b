"""Static vendor data: Nova's StaticJSON provider, a JSON file the operator names
(``[compute] vendordata_jsonfile_path``, Nova's ``[api] vendordata_jsonfile_path``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from nimbus.config import Settings

log = logging.getLogger("nimbus.compute.metadata")


def static_vendor_data(settings: Settings) -> dict[str, Any]:
    """The file's JSON object; {} when no file is named, or it cannot be read (logged)."""
    name = settings.compute.vendordata_jsonfile_path
    if not name:
        return {}
    path = Path(name)
    if not path.is_absolute():
        path = settings.data_dir / path
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        log.error("vendordata_jsonfile_path %s: %s", path, exc)
        return {}
    if not isinstance(data, dict):
        log.error("vendordata_jsonfile_path %s: not a JSON object", path)
        return {}
    return data
