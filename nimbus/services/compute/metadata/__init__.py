"""Instance data for guests: Nova's metadata service (served at /metadata, behind the
network agent's metadata proxies) and the files of its config drive.

* ``model``: ``InstanceData`` and its parts (ports, subnets, key pairs, devices...), plain
  dataclasses: the one input of everything here.
* ``builder``: ``InstanceMetadata(instance).lookup(path)``, what Nova answers for a path
  of the OpenStack format (/openstack/<version>/meta_data.json, network_data.json,
  user_data, vendor_data.json, vendor_data2.json, password) and of the EC2 one
  (/<version>/meta-data/..., /<version>/user-data); ``render`` gives Nova's text.
* ``configdrive``: ``config_drive_files(instance) -> {path: bytes}``, the tree of a
  ``config-2`` drive (ec2/..., openstack/<version>/...), for the compute agent's ISO.
* ``neutron``: ``port_info(port, subnets, ...)``, a PortInfo from the Networking API's
  port / subnet / floating IP documents.
* ``vendordata``: ``static_vendor_data(settings)``, the operator's vendor data file.
* ``api``: the /metadata ServiceApi (mounted by compute's ``api.extra_apis``).

The hook: the metadata API knows no instances of its own. Whoever owns them (the servers
side, over its instances table) registers, once per runtime::

    register_instance_source(runtime, lookup, save_password)

``lookup(instance_uuid) -> InstanceData | None`` (None: unknown or deleted; the API then
answers 404), called on every request, from a handler thread; ``save_password(uuid,
password)`` keeps what a guest POSTs to /openstack/<version>/password (at most once: the
API answers 409 while ``InstanceData.password`` is set). Until a source is registered,
every instance is unknown. An InstanceData whose ``vendor_data`` is empty gets the
operator's file (``[compute] vendordata_jsonfile_path``); for the config drive, call
``config_drive_files(instance, dhcp_domain=settings.compute.dhcp_domain)`` with
``vendor_data=static_vendor_data(settings)`` filled in the same way.
"""

from nimbus.services.compute.metadata.builder import InstanceMetadata, render
from nimbus.services.compute.metadata.configdrive import CONFIG_DRIVE_LABEL, config_drive_files
from nimbus.services.compute.metadata.model import (
    BlockDevice,
    DeviceInfo,
    FixedIp,
    HostRoute,
    InstanceData,
    KeyPair,
    PortInfo,
    SubnetInfo,
)
from nimbus.services.compute.metadata.neutron import port_info
from nimbus.services.compute.metadata.source import (
    InstanceLookup,
    PasswordSaver,
    register_instance_source,
)
from nimbus.services.compute.metadata.vendordata import static_vendor_data

__all__ = ["BlockDevice", "CONFIG_DRIVE_LABEL", "DeviceInfo", "FixedIp", "HostRoute",
           "InstanceData", "InstanceLookup", "InstanceMetadata", "KeyPair", "PasswordSaver",
           "PortInfo", "SubnetInfo", "config_drive_files", "port_info", "register_instance_source",
           "render", "static_vendor_data"]
