"""Microversions, as Nova, Placement and Cinder negotiate them: the request's version from
``OpenStack-API-Version: <service> X.Y`` (or a service's legacy header such as
``X-OpenStack-Nova-API-Version``), ``latest``, the minimum when none is asked for, 400 for a
malformed version and 406 for one out of range; the answer's version headers and ``Vary``;
and per-route tables that pick a handler or a response shape by version range.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import total_ordering
from typing import Generic, TypeVar

from nimbus.kernel.errors import BadRequest, NotAcceptable

HEADER = "OpenStack-API-Version"
_VERSION = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")

T = TypeVar("T")


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION.match(text.strip())
        if not match:
            raise BadRequest(f"API Version String {text.strip()} is of invalid format. "
                             "Must be of format MajorNum.MinorNum.")
        return cls(int(match.group(1)), int(match.group(2)))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def matches(self, low: str | Version | None, high: str | Version | None = None) -> bool:
        """Within [low, high]; None leaves that side open."""
        return ((low is None or self >= as_version(low))
                and (high is None or self <= as_version(high)))


def as_version(value: str | Version) -> Version:
    return value if isinstance(value, Version) else Version.parse(value)


@dataclass(frozen=True)
class VersionedApi:
    """One service's microversion policy, e.g.
    ``VersionedApi("compute", "2.1", "2.96", legacy_header="X-OpenStack-Nova-API-Version")``."""

    service: str
    minimum: str
    maximum: str
    legacy_header: str | None = None

    @property
    def min_version(self) -> Version:
        return Version.parse(self.minimum)

    @property
    def max_version(self) -> Version:
        return Version.parse(self.maximum)

    def requested(self, headers: Mapping[str, str]) -> str | None:
        """The version text the request asks for, or None. The standard header wins; it
        may name several services (``compute 2.60, placement 1.2``)."""
        standard = _header(headers, HEADER)
        if standard is not None:
            for part in standard.split(","):
                words = part.split()
                if len(words) == 2 and words[0].lower() == self.service:
                    return words[1]
                if len(words) == 1 and words[0].lower() == self.service:
                    raise BadRequest(f"Invalid {HEADER} header: no version for "
                                     f"{self.service}")
        if self.legacy_header:
            return _header(headers, self.legacy_header)
        return None

    def negotiate(self, headers: Mapping[str, str]) -> Version:
        text = self.requested(headers)
        if text is None:
            return self.min_version
        if text.strip().lower() == "latest":
            return self.max_version
        version = Version.parse(text)
        if not version.matches(self.min_version, self.max_version):
            raise NotAcceptable(f"Version {version} is not supported by the API. Minimum is "
                                f"{self.minimum} and maximum is {self.maximum}.")
        return version

    def response_headers(self, version: Version) -> dict[str, str]:
        headers = {HEADER: f"{self.service} {version}"}
        vary = [HEADER]
        if self.legacy_header:
            headers[self.legacy_header] = str(version)
            vary.append(self.legacy_header)
        headers["Vary"] = ", ".join(vary)
        return headers

    def version_document(self) -> dict[str, str]:
        """The ``version`` / ``min_version`` pair of a version discovery document."""
        return {"version": self.maximum, "min_version": self.minimum}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return value


@dataclass(frozen=True)
class Ranged(Generic[T]):
    low: str | None
    high: str | None
    value: T


class ByVersion(Generic[T]):
    """A table of (low, high, value) picked by the request's version: one per route for
    handlers, or per resource for response shapes. Ranges may not overlap."""

    def __init__(self, entries: Sequence[tuple[str | None, str | None, T]]) -> None:
        self.entries = [Ranged(low, high, value) for low, high, value in entries]
        ordered = sorted(self.entries, key=lambda e: as_version(e.low or "0.0"))
        for before, after in zip(ordered, ordered[1:], strict=False):
            if before.high is None or as_version(before.high) >= as_version(after.low or "0.0"):
                raise ValueError(f"overlapping version ranges {before.low}-{before.high} "
                                 f"and {after.low}-{after.high}")

    def pick(self, version: Version) -> T | None:
        for entry in self.entries:
            if version.matches(entry.low, entry.high):
                return entry.value
        return None


def since(version: Version, low: str) -> bool:
    """Shorthand for a response field added at ``low``: ``if since(v, "2.47"): ...``."""
    return version >= Version.parse(low)

