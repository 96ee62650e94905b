"""Hypervisors through openstacksdk, the openstack CLI and python-novaclient: what
report_node reports, the fields and ids of each version, paging, patterns, statistics and
uptime before 2.88, search and servers before 2.53, RBAC."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.api.compute._resources_fixtures import NODE, fault, raw


def _mine(conn: Any, host: str, version: str, path: str = "/os-hypervisors/detail"
          ) -> dict[str, Any]:
    found = raw(conn, "get", f"{path}", version).json()["hypervisors"]
    mine = [h for h in found if h["hypervisor_hostname"] == host]
    assert len(mine) == 1, found
    return dict(mine[0])


def test_the_fields_of_each_version(admin: Any, make_host: Callable[..., str]) -> None:
    host = make_host()
    old = _mine(admin, host, "2.1")
    assert isinstance(old["id"], int) and old["state"] == "up" and old["status"] == "enabled"
    assert old["vcpus"] == 4 and old["memory_mb"] == 8192 and old["free_ram_mb"] == 7168
    assert old["free_disk_gb"] == 90 and old["hypervisor_type"] == "QEMU"
    assert isinstance(old["cpu_info"], str) and "qemu64" in old["cpu_info"]
    assert old["service"]["host"] == host and isinstance(old["service"]["id"], int)
    v228 = _mine(admin, host, "2.28")
    assert v228["cpu_info"] == NODE["cpu_info"]
    v253 = _mine(admin, host, "2.53")
    assert len(v253["id"]) == 36 and len(v253["service"]["id"]) == 36
    v288 = _mine(admin, host, "2.88")
    assert "vcpus" not in v288 and "cpu_info" not in v288 and "uptime" in v288
    assert v288["host_ip"] == "192.0.2.10"
    brief = _mine(admin, host, "2.53", "/os-hypervisors")
    assert set(brief) == {"id", "hypervisor_hostname", "state", "status"}


def test_show_uptime_and_statistics(admin: Any, make_host: Callable[..., str]) -> None:
    host = make_host(uptime=" 10:00:00 up 1 day")
    old = _mine(admin, host, "2.1")
    shown = raw(admin, "get", f"/os-hypervisors/{old['id']}", "2.1").json()["hypervisor"]
    assert shown["hypervisor_hostname"] == host and shown["vcpus_used"] == 1
    uptime = raw(admin, "get", f"/os-hypervisors/{old['id']}/uptime", "2.1").json()
    assert uptime["hypervisor"]["uptime"] == " 10:00:00 up 1 day"
    stats = raw(admin, "get", "/os-hypervisors/statistics", "2.1").json()
    assert stats["hypervisor_statistics"]["count"] >= 1
    assert stats["hypervisor_statistics"]["vcpus"] >= 4
    assert fault(raw(admin, "get", "/os-hypervisors/statistics", "2.88"), 404)
    new = _mine(admin, host, "2.88")
    assert fault(raw(admin, "get", f"/os-hypervisors/{new['id']}/uptime", "2.88"), 404)
    v288 = raw(admin, "get", f"/os-hypervisors/{new['id']}", "2.88").json()["hypervisor"]
    assert v288["uptime"] == " 10:00:00 up 1 day"
    assert fault(raw(admin, "get", f"/os-hypervisors/{old['id']}", "2.53"), 400)
    assert fault(raw(admin, "get", "/os-hypervisors/nope", "2.1"), 404)
    sdk = admin.compute.get_hypervisor(new["id"])
    assert sdk.name == host


def test_patterns_search_and_paging(admin: Any, make_host: Callable[..., str],
                                    nova: Any) -> None:
    hosts = [make_host(), make_host()]
    pattern = hosts[0]
    found = raw(admin, "get", f"/os-hypervisors?hypervisor_hostname_pattern={pattern}",
                "2.53").json()["hypervisors"]
    assert [h["hypervisor_hostname"] for h in found] == [pattern]
    assert fault(raw(admin, "get", "/os-hypervisors?hypervisor_hostname_pattern=zzz-none",
                     "2.53"), 404)
    assert fault(raw(admin, "get", "/os-hypervisors?colour=1", "2.53"), 400)
    old = raw(admin, "get", f"/os-hypervisors/{pattern}/search", "2.1").json()
    assert [h["hypervisor_hostname"] for h in old["hypervisors"]] == [pattern]
    assert fault(raw(admin, "get", f"/os-hypervisors/{pattern}/search", "2.53"), 404)
    servers = raw(admin, "get", f"/os-hypervisors/{pattern}/servers", "2.1").json()
    assert servers["hypervisors"][0]["hypervisor_hostname"] == pattern
    assert [h.hypervisor_hostname for h in nova.hypervisors.search(pattern)] == [pattern]
    page = raw(admin, "get", "/os-hypervisors?limit=1", "2.53").json()
    assert len(page["hypervisors"]) == 1 and page["hypervisors_links"][0]["rel"] == "next"
    marker = page["hypervisors"][0]["id"]
    rest = raw(admin, "get", f"/os-hypervisors?marker={marker}", "2.53").json()
    assert marker not in [h["id"] for h in rest["hypervisors"]]
    with_servers = raw(admin, "get", "/os-hypervisors?with_servers=true", "2.75").json()
    assert all(h["servers"] == [] for h in with_servers["hypervisors"])


def test_cli_and_rbac(cli: Callable[..., Any], member: Any,
                      make_host: Callable[..., str]) -> None:
    host = make_host()
    rows = cli("hypervisor", "list", "-f", "json")
    assert host in [r["Hypervisor Hostname"] for r in rows]
    shown = cli("hypervisor", "show", host, "-f", "json")
    assert shown["hypervisor_hostname"] == host
    assert fault(raw(member.conn, "get", "/os-hypervisors"), 403)
    assert fault(raw(member.conn, "get", "/os-hypervisors/detail", "2.88"), 403)
