"""Weighers and Nova's normalisation."""

from __future__ import annotations

from nimbus.services.compute.scheduler.host_state import HostState, RequestSpec
from nimbus.services.compute.scheduler.weighers import normalize, weigh_hosts
from nimbus.services.compute.scheduler.weighers.cpu import CPUWeigher
from nimbus.services.compute.scheduler.weighers.disk import DiskWeigher
from nimbus.services.compute.scheduler.weighers.ram import RAMWeigher

SPEC = RequestSpec(instance_uuid="i", project_id="p", user_id="u",
                   flavor={"vcpus": 1, "ram": 128, "disk": 1})


def host(name, ram=0.0, cpus=0.0, disk=0.0):
    return HostState(host=name, node=name, free_ram_mb=ram, free_vcpus=cpus,
                     free_disk_mb=disk)


def test_normalize_is_min_max():
    assert normalize([10.0, 20.0, 15.0]) == [0.0, 1.0, 0.5]
    assert normalize([5.0, 5.0]) == [0.0, 0.0]
    assert normalize([]) == []


def test_each_weigher_reads_its_resource():
    h = host("a", ram=512, cpus=3, disk=2048)
    assert RAMWeigher().weigh(h, SPEC) == 512
    assert CPUWeigher().weigh(h, SPEC) == 3
    assert DiskWeigher().weigh(h, SPEC) == 2048


def test_spreading_picks_the_freest_host_and_stacking_the_fullest():
    hosts = [host("small", ram=256), host("big", ram=4096), host("mid", ram=1024)]
    spread = weigh_hosts([RAMWeigher()], hosts, SPEC)
    assert [h.host for _w, h in spread] == ["big", "mid", "small"]
    assert spread[0][0] == 1.0 and spread[-1][0] == 0.0
    stack = weigh_hosts([RAMWeigher(multiplier=-1.0)], hosts, SPEC)
    assert stack[0][1].host == "small"


def test_weights_add_up_across_weighers():
    hosts = [host("ram-rich", ram=4096, cpus=1), host("cpu-rich", ram=1024, cpus=8)]
    weighed = weigh_hosts([RAMWeigher(), CPUWeigher(multiplier=2.0)], hosts, SPEC)
    assert weighed[0][1].host == "cpu-rich" and weighed[0][0] == 2.0
