"""Segments: provider attributes checked against the ML2 options, and segmentation ids
(VXLAN VNIs, VLAN ids) allocated lowest-free; the table's unique constraint settles races."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.config import NetworkSettings
from nimbus.services.network.errors import ConflictNeutron, InvalidInput
from nimbus.services.network.models.core import Segment

VXLAN_OVERHEAD = 50


def ranges(spec: str) -> list[tuple[int, int]]:
    out = []
    for part in spec.split(","):
        part = part.strip()
        if ":" in part:
            low, high = part.split(":", 1)
            out.append((int(low), int(high)))
    return out


def vlan_ranges(spec: str) -> dict[str, list[tuple[int, int]]]:
    """"physnet1:1000:2999,physnet2" -> {"physnet1": [(1000, 2999)], "physnet2": []}."""
    found: dict[str, list[tuple[int, int]]] = {}
    for part in spec.split(","):
        bits = part.strip().split(":")
        if not bits[0]:
            continue
        found.setdefault(bits[0], [])
        if len(bits) == 3:
            found[bits[0]].append((int(bits[1]), int(bits[2])))
    return found


class SegmentAllocator:
    def __init__(self, options: NetworkSettings) -> None:
        self.options = options

    def mtu_of(self, network_type: str) -> int:
        base = self.options.global_physnet_mtu
        return base - VXLAN_OVERHEAD if network_type == "vxlan" else base

    def allocate(self, s: Session, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not requested:
            kind = self.options.tenant_network_types.split(",")[0].strip() or "vxlan"
            requested = [{"provider:network_type": kind}]
        return [self._one(s, seg) for seg in requested]

    def _one(self, s: Session, seg: dict[str, Any]) -> dict[str, Any]:
        kind = seg.get("provider:network_type")
        physnet = seg.get("provider:physical_network")
        seg_id = seg.get("provider:segmentation_id")
        if kind == "vxlan":
            if physnet:
                raise InvalidInput("provider:physical_network specified for vxlan network")
            vni_ranges = ranges(self.options.vni_ranges) or [(1, 65535)]
            if seg_id is None:
                seg_id = self._lowest_free(s, "vxlan", "", vni_ranges)
            elif not 1 <= seg_id <= 16777215:
                raise InvalidInput(f"provider:segmentation_id out of range ({seg_id})")
            return {"network_type": kind, "physical_network": None, "segmentation_id": seg_id}
        if kind == "vlan":
            known = vlan_ranges(self.options.network_vlan_ranges)
            if not physnet:
                raise InvalidInput("provider:physical_network required")
            if physnet not in known:
                raise InvalidInput(f"physical_network '{physnet}' unknown for VLAN provider "
                                   "network")
            if seg_id is None:
                seg_id = self._lowest_free(s, "vlan", physnet, known[physnet] or [(1, 4094)])
            elif not 1 <= seg_id <= 4094:
                raise InvalidInput(f"provider:segmentation_id out of range ({seg_id} through "
                                   "1 to 4094)")
            return {"network_type": kind, "physical_network": physnet, "segmentation_id": seg_id}
        if kind == "flat":
            if not physnet:
                raise InvalidInput("provider:physical_network required")
            allowed = [p.strip() for p in self.options.flat_networks.split(",")]
            if "*" not in allowed and physnet not in allowed:
                raise InvalidInput(f"physical_network '{physnet}' unknown for flat provider "
                                   "network")
            if seg_id:
                raise InvalidInput("provider:segmentation_id specified for flat network")
            return {"network_type": kind, "physical_network": physnet, "segmentation_id": None}
        if kind == "local":
            if physnet or seg_id:
                raise InvalidInput("provider:physical_network or provider:segmentation_id "
                                   "specified for local network")
            return {"network_type": kind, "physical_network": None, "segmentation_id": None}
        raise InvalidInput(f"network_type value '{kind}' not supported")

    def _lowest_free(self, s: Session, kind: str, physnet: str,
                     spans: list[tuple[int, int]]) -> int:
        used = set(s.scalars(select(Segment.segmentation_id).where(
            Segment.network_type == kind, Segment.physical_network == physnet)))
        for low, high in spans:
            for candidate in range(low, high + 1):
                if candidate not in used:
                    return candidate
        raise ConflictNeutron("NoNetworkAvailable", "Unable to create the network. No tenant "
                                                    "network is available for allocation.")

    def taken(self, segments: list[dict[str, Any]]) -> Exception:
        seg = next((x for x in segments if x.get("provider:network_type")), {})
        kind = seg.get("provider:network_type")
        if kind == "flat":
            return ConflictNeutron("FlatNetworkInUse", "Unable to create the flat network. "
                                   f"Physical network {seg.get('provider:physical_network')} "
                                   "is in use.")
        return ConflictNeutron("SegmentationIdInUse" if kind != "vlan" else "VlanIdInUse",
                               f"Unable to create the network. The {kind} "
                               f"{seg.get('provider:segmentation_id')} is in use.")

    def segment_view(self, seg: Segment) -> dict[str, Any]:
        return {"provider:network_type": seg.network_type,
                "provider:physical_network": seg.physical_network or None,
                "provider:segmentation_id": seg.segmentation_id
                if seg.network_type in ("vlan", "vxlan") else None}
