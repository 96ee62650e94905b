"""Each scheduler filter on its own: host_passes(host, spec)."""

from __future__ import annotations

from nimbus.services.compute.scheduler.filters import default_filters
from nimbus.services.compute.scheduler.filters.aggregate_extra_specs import (
    AggregateInstanceExtraSpecsFilter,
)
from nimbus.services.compute.scheduler.filters.availability_zone import AvailabilityZoneFilter
from nimbus.services.compute.scheduler.filters.compute import ComputeFilter
from nimbus.services.compute.scheduler.filters.different_host import DifferentHostFilter
from nimbus.services.compute.scheduler.filters.image_properties import ImagePropertiesFilter
from nimbus.services.compute.scheduler.filters.same_host import SameHostFilter
from nimbus.services.compute.scheduler.filters.server_group import (
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
)
from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec

FLAVOR = {"vcpus": 1, "ram": 128, "disk": 1, "extra_specs": {}}


def host(name="h1", **kw):
    return HostState(host=name, node=name, **kw)


def spec(**kw):
    kw.setdefault("flavor", FLAVOR)
    return RequestSpec(instance_uuid="i-new", project_id="p", user_id="u", **kw)


def test_availability_zone_filter():
    f = AvailabilityZoneFilter()
    assert f.host_passes(host(availability_zone="nova"), spec())
    assert f.host_passes(host(availability_zone="az1"), spec(availability_zone="az1"))
    assert not f.host_passes(host(availability_zone="nova"), spec(availability_zone="az1"))
    zoned = host(availability_zone="nova", aggregate_metadata={"availability_zone": {"az2"}})
    assert f.host_passes(zoned, spec(availability_zone="az2"))


def test_compute_filter_needs_enabled_and_up():
    f = ComputeFilter()
    assert f.host_passes(host(), spec())
    assert not f.host_passes(host(enabled=False), spec())
    assert not f.host_passes(host(up=False), spec())


def test_image_properties_filter():
    f = ImagePropertiesFilter()
    assert f.host_passes(host(), spec())
    assert f.host_passes(host(), spec(image_properties={"hw_architecture": "x86_64"}))
    assert f.host_passes(host(), spec(image_properties={"architecture": "amd64"}))
    assert not f.host_passes(host(), spec(image_properties={"hw_architecture": "aarch64"}))
    assert not f.host_passes(host(hypervisor_type="QEMU"),
                             spec(image_properties={"img_hv_type": "xen"}))
    versioned = host(hypervisor_version=8_002_000)
    assert f.host_passes(versioned, spec(image_properties={
        "img_hv_requested_version": ">=8.0"}))
    assert not f.host_passes(versioned, spec(image_properties={
        "img_hv_requested_version": ">=9.0"}))


def test_affinity_sticks_to_the_members_host():
    f = ServerGroupAffinityFilter()
    group = spec(group_policy="affinity", group_hosts=["h1"])
    assert f.host_passes(host("h1"), group)
    assert not f.host_passes(host("h2"), group)
    assert f.host_passes(host("h2"), spec(group_policy="affinity"))     # first member
    assert f.host_passes(host("h2"), spec(group_policy="anti-affinity",
                                          group_hosts=["h1"]))


def test_anti_affinity_avoids_members_hosts_up_to_the_rule():
    f = ServerGroupAntiAffinityFilter()
    group = spec(group_policy="anti-affinity", group_hosts=["h1"])
    assert not f.host_passes(host("h1"), group)
    assert f.host_passes(host("h2"), group)
    two = spec(group_policy="anti-affinity", group_hosts=["h1"], group_max_server_per_host=2)
    assert f.host_passes(host("h1"), two)
    assert not f.host_passes(host("h1"), spec(group_policy="anti-affinity",
                                              group_hosts=["h1", "h1"],
                                              group_max_server_per_host=2))


def test_same_and_different_host():
    placed = {"a": "h1", "b": "h2"}
    same, different = SameHostFilter(), DifferentHostFilter()
    assert same.host_passes(host("h1"), spec(hints={"same_host": "a"}, instance_hosts=placed))
    assert not same.host_passes(host("h2"), spec(hints={"same_host": ["a"]},
                                                 instance_hosts=placed))
    assert not same.host_passes(host("h1"), spec(hints={"same_host": ["a", "b"]},
                                                 instance_hosts=placed))
    assert same.host_passes(host("h9"), spec())
    assert not different.host_passes(host("h1"), spec(hints={"different_host": ["a"]},
                                                      instance_hosts=placed))
    assert different.host_passes(host("h3"), spec(hints={"different_host": ["a", "b"]},
                                                  instance_hosts=placed))


def test_aggregate_instance_extra_specs():
    f = AggregateInstanceExtraSpecsFilter()
    ssd = host(aggregate_metadata={"ssd": {"true"}, "tier": {"gold,silver"}})
    plain = host("h2")

    def flavor(**specs):
        return spec(flavor={**FLAVOR, "extra_specs": specs})

    assert f.host_passes(plain, flavor())
    assert f.host_passes(ssd, flavor(ssd="true"))
    assert not f.host_passes(plain, flavor(ssd="true"))
    assert f.host_passes(ssd, flavor(**{"aggregate_instance_extra_specs:tier": "silver"}))
    assert not f.host_passes(ssd, flavor(**{"aggregate_instance_extra_specs:tier": "bronze"}))
    assert f.host_passes(plain, flavor(**{"hw:cpu_policy": "dedicated"}))


def test_the_default_list_has_every_filter():
    names = {type(f).__name__ for f in default_filters()}
    assert names == {"AvailabilityZoneFilter", "ComputeFilter", "ImagePropertiesFilter",
                     "ServerGroupAffinityFilter", "ServerGroupAntiAffinityFilter",
                     "SameHostFilter", "DifferentHostFilter",
                     "AggregateInstanceExtraSpecsFilter"}
