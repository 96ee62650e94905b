"""The config drive: an ISO 9660 image labelled ``config-2`` (Rock Ridge and Joliet names,
as Nova's genisoimage call makes), built in Python with pycdlib from the spawn's files."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pycdlib

from nimbus.agents.compute.driver import DriverError
from nimbus.agents.compute.messages import ConfigDrive

LABEL = "config-2"


def file_bytes(value: str) -> bytes:
    """A ConfigDrive file's contents: ``base64:<data>`` for bytes, else UTF-8 text."""
    if value.startswith("base64:"):
        try:
            return base64.b64decode(value[len("base64:"):], validate=True)
        except ValueError as e:
            raise DriverError(f"config drive: bad base64 contents: {e}") from e
    return value.encode()


def _clean(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise DriverError(f"config drive: unusable path {path!r}")
    return parts


def _iso_name(name: str, is_dir: bool, counter: list[int]) -> str:
    """An ISO 9660 level-1-ish name (the real names ride in Rock Ridge and Joliet)."""
    counter[0] += 1
    stem = f"N{counter[0]:06d}"
    return stem if is_dir else f"{stem}.;1"


def build(drive: ConfigDrive, target: Path) -> None:
    """Write ``drive``'s files to the ISO ``target``."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=LABEL)
    made: dict[tuple[str, ...], str] = {(): "/"}
    counter = [0]
    for path in sorted(drive.files):
        parts = _clean(path)
        for depth in range(1, len(parts)):
            key = tuple(parts[:depth])
            if key in made:
                continue
            iso_path = f"{made[key[:-1]].rstrip('/')}/{_iso_name(key[-1], True, counter)}"
            iso.add_directory(iso_path, rr_name=key[-1],
                              joliet_path="/" + "/".join(key))
            made[key] = iso_path
        data = file_bytes(drive.files[path])
        parent = made[tuple(parts[:-1])].rstrip("/")
        iso.add_fp(io.BytesIO(data), len(data),
                   f"{parent}/{_iso_name(parts[-1], False, counter)}",
                   rr_name=parts[-1], joliet_path="/" + "/".join(parts))
    tmp = target.with_suffix(".tmp")
    try:
        iso.write(str(tmp))
    finally:
        iso.close()
    os.replace(tmp, target)
