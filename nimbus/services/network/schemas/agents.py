"""Agents (neutron_lib.api.definitions.agent, availability_zone): written by the agents'
own reports; an admin may only change ``admin_state_up`` and ``description``."""

from __future__ import annotations

from nimbus.services.network.schemas.attrs import (
    Attr,
    ResourceDef,
    boolean,
    filter_bool,
    string,
    uuid_str,
)


def _ro(name: str, **kw: object) -> Attr:
    return Attr(name, post=False, default=None, **kw)  # type: ignore[arg-type]


AGENT = ResourceDef("agent", "agents", "Agent", (
    _ro("id", validate=uuid_str),
    _ro("agent_type"),
    _ro("binary"),
    _ro("topic"),
    _ro("host"),
    Attr("admin_state_up", boolean, post=False, put=True, default=None,
         convert_filter=filter_bool),
    _ro("created_at", filter=False),
    _ro("started_at", filter=False),
    _ro("heartbeat_timestamp", filter=False),
    _ro("alive", convert_filter=filter_bool, sort=False),
    _ro("configurations", filter=False, sort=False),
    Attr("description", string(255, nullable=True), post=False, put=True, default=None),
    _ro("availability_zone"),
), service="agents", standard=False, taggable=False)

AVAILABILITY_ZONE = ResourceDef("availability_zone", "availability_zones", "AvailabilityZone", (
    _ro("name"), _ro("resource"), _ro("state"),
), service="availability_zones", standard=False, taggable=False)
