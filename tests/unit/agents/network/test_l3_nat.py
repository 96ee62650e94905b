"""The router's plan and nftables table, as text (no host needed)."""

from __future__ import annotations

from nimbus.agents.network.l3 import plan_router, render_nat
from nimbus.agents.network.messages import (
    FloatingIp,
    HostRoute,
    PortForwarding,
    Router,
    RouterPort,
)

GW = RouterPort("gwport-0000-aaaa", "extnet-0000-bbbb", "s1", "fa:16:3e:00:00:01",
                "172.24.4.10", 24)
QR = RouterPort("qrport-0000-cccc", "tenant-0000-dddd", "s2", "fa:16:3e:00:00:02",
                "10.0.0.1", 24)


def router(**kwargs: object) -> Router:
    values: dict = {"gateway": GW, "gateway_ips": [GW], "external_gateway_ip": "172.24.4.1",
                    "interfaces": [QR]}
    values.update(kwargs)
    return Router("r1", "p1", **values)


def test_plan_names_devices_and_routes_as_neutron_does() -> None:
    plan = plan_router(router(routes=[HostRoute("192.168.0.0/16", "10.0.0.7")],
                              floating_ips=[FloatingIp("f", "172.24.4.20", "10.0.0.5", "p")]))
    assert plan.ports["qr-qrport-0000"] == ("brqtenant-0000", QR.mac_address,
                                            {"10.0.0.1/24"}, QR.network_id)
    bridge, _, addrs, _ = plan.ports["qg-gwport-0000"]
    assert bridge == "brqextnet-0000"
    assert addrs == {"172.24.4.10/24", "172.24.4.20/32"}
    assert plan.routes == {("0.0.0.0/0", "172.24.4.1"), ("192.168.0.0/16", "10.0.0.7")}


def test_snat_only_when_enabled_and_floating_ips_as_pairs() -> None:
    fip = FloatingIp("f", "172.24.4.20", "10.0.0.5", "p")
    on = router(floating_ips=[fip])
    text = render_nat(on, plan_router(on))
    assert "ip daddr 172.24.4.20 dnat to 10.0.0.5" in text
    assert 'oifname "qg-gwport-0000" ip saddr 10.0.0.5 snat to 172.24.4.20' in text
    assert 'oifname "qg-gwport-0000" ip saddr { 10.0.0.0/24 } snat to 172.24.4.10' in text
    off = router(floating_ips=[fip], enable_snat=False)
    text = render_nat(off, plan_router(off))
    assert "ip saddr { 10.0.0.0/24 }" not in text
    assert "snat to 172.24.4.20" in text


def test_port_forwardings_single_range_and_range_to_range() -> None:
    pfs = [PortForwarding("a", "172.24.4.30", 2222, "10.0.0.5", 22, "tcp"),
           PortForwarding("b", "172.24.4.30", 0, "10.0.0.5", 53, "udp",
                          external_port_range="5300:5301"),
           PortForwarding("c", "172.24.4.30", 0, "10.0.0.5", 0, "tcp",
                          external_port_range="3000:3001", internal_port_range="80:81")]
    r = router(port_forwardings=pfs)
    text = render_nat(r, plan_router(r))
    assert "ip daddr 172.24.4.30 tcp dport 2222 dnat to 10.0.0.5:22" in text
    assert "ip daddr 172.24.4.30 udp dport 5300-5301 dnat to 10.0.0.5:53" in text
    assert ("tcp dport 3000-3001 dnat ip to tcp dport map "
            "{ 3000 : 10.0.0.5 . 80, 3001 : 10.0.0.5 . 81 }") in text
    assert "172.24.4.30/32" in plan_router(r).ports["qg-gwport-0000"][2]


def test_the_digest_moves_with_the_rules_only() -> None:
    a, b = router(), router()
    assert render_nat(a, plan_router(a)) == render_nat(b, plan_router(b))
    c = router(floating_ips=[FloatingIp("f", "172.24.4.20", "10.0.0.5", "p")])
    assert render_nat(c, plan_router(c)).splitlines()[1] != \
        render_nat(a, plan_router(a)).splitlines()[1]


def test_router_without_gateway_has_no_nat() -> None:
    r = router(gateway=None, gateway_ips=[], external_gateway_ip=None)
    plan = plan_router(r)
    assert set(plan.ports) == {"qr-qrport-0000"} and plan.routes == set()
    assert "snat" not in render_nat(r, plan) and "dnat" not in render_nat(r, plan)
