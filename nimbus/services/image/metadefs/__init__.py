"""The standard metadata definition namespaces every cloud starts with, read from the YAML
files beside this module (one per family). Each property's title is made from its name."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

FAMILIES = ("compute.yaml", "images.yaml", "software.yaml", "cim.yaml")
# Words a title shows in capitals.
ACRONYMS = {"cpu", "rng", "tpm", "vm", "os", "id", "uuid", "io", "vif", "pmu", "qemu", "scsi",
            "ram", "vcpu", "hw", "img", "http", "https", "iis", "db2", "sql", "cim", "vmware"}
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def title_of(name: str) -> str:
    """``hw_video_ram`` -> "HW Video RAM", ``quota:cpu_limit`` -> "Quota CPU Limit",
    ``HostExtentName`` -> "Host Extent Name"."""
    words = [w for part in re.split(r"[_:\s]+", name) for w in CAMEL.split(part) if w]
    return " ".join(w.upper() if w.lower() in ACRONYMS else w[:1].upper() + w[1:]
                    for w in words)


def _with_titles(properties: dict[str, Any] | None) -> dict[str, Any]:
    return {name: {"title": title_of(name), **definition}
            for name, definition in (properties or {}).items()}


def _namespace(name: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "namespace": name,
        "display_name": entry.get("display_name"),
        "description": entry.get("description"),
        "visibility": entry.get("visibility", "private"),
        "protected": bool(entry.get("protected")),
        "resource_type_associations": list(entry.get("resource_types", [])),
        "properties": _with_titles(entry.get("properties")),
        "objects": [{"name": o["name"], "description": o.get("description"),
                     "required": o.get("required"),
                     "properties": _with_titles(o.get("properties"))}
                    for o in entry.get("objects", [])],
        "tags": list(entry.get("tags", [])),
    }


@lru_cache(maxsize=1)
def standard_namespaces() -> tuple[dict[str, Any], ...]:
    """Every standard namespace, shaped as a parsed create body."""
    found: list[dict[str, Any]] = []
    for family in FAMILIES:
        text = resources.files(__package__).joinpath(family).read_text(encoding="utf-8")
        doc = yaml.safe_load(text) or {}
        found.extend(_namespace(name, entry) for name, entry in doc.items())
    return tuple(found)
