"""What a list request asks for, parsed (``api/resource.py`` builds it; stores read it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ListQuery:
    filters: dict[str, list[Any]] = field(default_factory=dict)
    sorts: list[tuple[str, bool]] = field(default_factory=list)     # (key, ascending)
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False
    tags: dict[str, list[str]] = field(default_factory=dict)
    fields: list[str] | None = None
