"""The files of an instance's config drive, as Nova writes them (nova/virt/configdrive.py
with InstanceMetadata.metadata_for_config_drive): the agent puts them into an ISO 9660
image labelled ``config-2``."""

from __future__ import annotations

import json

from nimbus.services.compute.metadata.builder import (
    CONFIG_DRIVE_EC2_VERSIONS,
    HAVANA,
    LIBERTY,
    MD_JSON,
    NEWTON_TWO,
    NW_JSON,
    OPENSTACK_VERSIONS,
    USER_DATA,
    VD2_JSON,
    VD_JSON,
    Found,
    InstanceMetadata,
)
from nimbus.services.compute.metadata.model import InstanceData

CONFIG_DRIVE_LABEL = "config-2"


def config_drive_files(instance: InstanceData, *, dhcp_domain: str = "novalocal",
                       files: list[tuple[str, bytes]] | None = None) -> dict[str, bytes]:
    """{path in the drive: contents}: ``ec2/<v>/meta-data.json`` (and ``user-data``) for
    2009-04-04 and latest, ``openstack/<v>/...`` for every dated version and latest, and
    ``openstack/content/NNNN`` for injected ``files``. meta_data.json carries the boot's
    admin password (``admin_pass``) when there is one. Pass ``[compute] dhcp_domain`` as
    ``dhcp_domain`` so that the drive and the metadata API agree on the hostname."""
    extra = {"admin_pass": instance.admin_pass} if instance.admin_pass else None
    md = InstanceMetadata(instance, dhcp_domain=dhcp_domain, extra_md=extra, files=files)
    out: dict[str, bytes] = {}
    for version in CONFIG_DRIVE_EC2_VERSIONS:
        data = md.ec2_metadata(version)
        if "user-data" in data:
            out[f"ec2/{version}/user-data"] = data["user-data"]
        meta = data["meta-data"]
        if "public-keys" in meta:
            meta["public-keys"]["0"].pop("_name", None)
        out[f"ec2/{version}/meta-data.json"] = json.dumps(meta).encode()
    every = [*OPENSTACK_VERSIONS, "latest"]
    for version in every:
        names = [MD_JSON]
        if instance.user_data is not None:
            names.append(USER_DATA)
        for required, name in ((HAVANA, VD_JSON), (LIBERTY, NW_JSON), (NEWTON_TWO, VD2_JSON)):
            if every.index(version) >= every.index(required):
                names.append(name)
        for name in names:
            found = md.openstack_item([version, name])
            if isinstance(found, Found):  # (the password endpoint is not on the drive)
                out[f"openstack/{version}/{name}"] = found.data
    for key, contents in md.content.items():
        out[f"openstack/content/{key}"] = contents
    return out
