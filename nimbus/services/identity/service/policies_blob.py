"""/v3/policies: opaque policy blobs Keystone stores for other services (a deprecated API;
nothing here enforces them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from nimbus.kernel.db import new_id
from nimbus.services.identity.models import PolicyBlob
from nimbus.services.identity.service.common import get_or_404

if TYPE_CHECKING:
    from nimbus.services.identity.service import IdentityService


class PolicyBlobs:
    def __init__(self, identity: IdentityService) -> None:
        self.identity = identity
        self.db = identity.db

    def create(self, fields: dict[str, Any]) -> PolicyBlob:
        with self.db.session() as s:
            policy = PolicyBlob(id=new_id(), type=fields["type"], blob=fields["blob"],
                                extra=fields.get("extra") or {})
            s.add(policy)
            s.flush()
            return policy

    def list(self, type: str | None = None) -> list[PolicyBlob]:
        with self.db.session() as s:
            q = select(PolicyBlob).order_by(PolicyBlob.type, PolicyBlob.id)
            if type is not None:
                q = q.where(PolicyBlob.type == type)
            return list(s.scalars(q))

    def get(self, policy_id: str) -> PolicyBlob:
        with self.db.session() as s:
            return get_or_404(s, PolicyBlob, policy_id, "policy")

    def update(self, policy_id: str, fields: dict[str, Any]) -> PolicyBlob:
        with self.db.session() as s:
            policy = get_or_404(s, PolicyBlob, policy_id, "policy")
            for key in ("type", "blob"):
                if key in fields:
                    setattr(policy, key, fields[key])
            if fields.get("extra"):
                policy.extra = {**(policy.extra or {}), **fields["extra"]}
            return policy

    def delete(self, policy_id: str) -> None:
        with self.db.session() as s:
            s.delete(get_or_404(s, PolicyBlob, policy_id, "policy"))
            self.identity.endpoint_policies.delete_for(s, policy_id=policy_id)
