"""What servers need from the other families and services, in one adapter: flavors, key
pairs, quotas and server groups (the compute-resources family's public functions:
``flavors.get(flavor_id, ctx)``, ``keypairs.get(user_id, name)``,
``quotas.check(project, user, deltas)``, ``server_groups.get / add_member``) and images
(the image service's public functions)."""

from __future__ import annotations

from typing import Any

from nimbus.kernel.context import RequestContext
from nimbus.kernel.errors import BadRequest, CloudError


def flavor_snapshot(flavor: dict[str, Any]) -> dict[str, Any]:
    """What an instance keeps of its flavor (Nova's embedded flavor), from either the
    flavors store's columns (flavorid, memory_mb, root_gb...) or the API's names."""
    swap = flavor.get("swap") or 0
    return {"id": str(flavor.get("flavorid", flavor.get("id"))), "name": flavor["name"],
            "ram": int(flavor.get("memory_mb", flavor.get("ram")) or 0),
            "disk": int(flavor.get("root_gb", flavor.get("disk")) or 0),
            "vcpus": int(flavor["vcpus"]),
            "ephemeral": int(flavor.get("ephemeral_gb", flavor.get("ephemeral")) or 0),
            "swap": int(swap) if swap != "" else 0,
            "extra_specs": dict(flavor.get("extra_specs") or {})}


class Resources:
    def __init__(self, compute: Any) -> None:
        self.compute = compute

    # -- flavors --------------------------------------------------------------------------
    def flavor(self, ctx: RequestContext, flavor_ref: str) -> dict[str, Any]:
        """The flavor a request names (its id, or the last part of its URL); 400 if none."""
        flavor_id = str(flavor_ref).rstrip("/").rsplit("/", 1)[-1]
        try:
            found = self.compute.flavors.get(flavor_id, ctx)
        except CloudError as err:
            if err.status == 404:
                raise BadRequest(f"Flavor {flavor_id} could not be found.") from None
            raise
        if found.get("disabled"):
            raise BadRequest(f"Flavor {flavor_id} could not be found.")
        return flavor_snapshot(found)

    # -- keypairs -------------------------------------------------------------------------
    def key_data(self, ctx: RequestContext, key_name: str) -> str:
        try:
            found = self.compute.keypairs.get(ctx.user_id or "", key_name)
        except CloudError as err:
            if err.status == 404:
                raise BadRequest("Invalid key_name provided.") from None
            raise
        return str(found.get("public_key", ""))

    # -- quotas ---------------------------------------------------------------------------
    def check_quota(self, ctx: RequestContext, flavor: dict[str, Any], count: int) -> None:
        """403 when ``count`` more servers of ``flavor`` pass the project's limits."""
        self.compute.quotas.check(ctx.project_id or "", ctx.user_id, {
            "instances": count, "cores": count * int(flavor["vcpus"]),
            "ram": count * int(flavor["ram"])})

    # -- server groups --------------------------------------------------------------------
    def server_group(self, group_id: str) -> dict[str, Any] | None:
        try:
            return self.compute.server_groups.get(group_id)  # type: ignore[no-any-return]
        except CloudError as err:
            if err.status == 404:
                raise BadRequest(f"Invalid server group {group_id}.") from None
            raise

    def join_group(self, group_id: str, server_id: str) -> None:
        self.compute.server_groups.add_member(group_id, server_id)

    def leave_group(self, server_id: str) -> None:
        self.compute.server_groups.remove_member(server_id)

    # -- images ---------------------------------------------------------------------------
    def image(self, ctx: RequestContext, image_ref: str) -> Any:
        """The image record (ImageRecord) a boot names, visible to the caller and active."""
        from nimbus.services.image.service import image_of
        from nimbus.services.image.service.records import Caller

        image_id = str(image_ref).rstrip("/").rsplit("/", 1)[-1]
        caller = Caller(ctx.project_id, ctx.user_id, ctx.has_role("admin"))
        try:
            record = image_of(self.compute.runtime).images.get(caller, image_id)
        except CloudError as err:
            if err.status == 404:
                raise BadRequest(f"Image {image_id} could not be found.") from None
            raise
        if record.status != "active":
            raise BadRequest(f"Image {image_id} is not active.")
        return record
