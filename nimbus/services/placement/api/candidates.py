"""GET /allocation_candidates (placement/handlers/allocation_candidate.py)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.microversion import Version
from nimbus.kernel.web import ApiRequest
from nimbus.services.placement.api.common import reply, validate_query
from nimbus.services.placement.api.providers import svc
from nimbus.services.placement.schemas import bodies
from nimbus.services.placement.schemas.query import candidate_request
from nimbus.services.placement.service.types import (
    AllocationRequest,
    CandidateRequest,
    ProviderSummary,
)


def _request(a: AllocationRequest, v: Version) -> dict[str, Any]:
    if not v.matches("1.12"):
        return {"allocations": [{"resource_provider": {"uuid": p}, "resources": res}
                                for p, res in a.allocations.items()]}
    out: dict[str, Any] = {"allocations": {p: {"resources": res}
                                           for p, res in a.allocations.items()}}
    if v.matches("1.34"):
        out["mappings"] = a.mappings
    return out


def _summary(ps: ProviderSummary, req: CandidateRequest, v: Version) -> dict[str, Any]:
    asked = {rc for g in req.groups.values() for rc in g.resources}
    every = v.matches("1.27")
    out: dict[str, Any] = {"resources": {rc: r for rc, r in ps.resources.items()
                                         if every or rc in asked}}
    if v.matches("1.17"):
        out["traits"] = ps.traits
    if v.matches("1.29"):
        out["parent_provider_uuid"] = ps.provider.parent_provider_uuid
        out["root_provider_uuid"] = ps.provider.root_provider_uuid
    return out


def list_candidates(req: ApiRequest, v: Version) -> Any:
    validate_query(req, bodies.candidates_query((v.major, v.minor)))
    request = candidate_request(req.query, v)
    found = svc(req).candidates.find(request)
    return reply({"allocation_requests": [_request(a, v) for a in found.allocation_requests],
                  "provider_summaries": {u: _summary(ps, request, v)
                                         for u, ps in found.provider_summaries.items()}},
                 v, modified=None)
