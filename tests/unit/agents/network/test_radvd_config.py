"""radvd.conf as the router advertises each IPv6 RA mode (Neutron's flags)."""

from __future__ import annotations

from nimbus.agents.network.messages import Network, Router, RouterPort
from nimbus.agents.network.radvd import render_config

PORT = "0123456789abcdef"


def router_with(mode: str | None, address: str = "fd00:1::1", prefixlen: int = 64) -> Router:
    return Router(id="r", project_id="p", interfaces=[
        RouterPort(PORT, "n", "s", "fa:16:3e:00:00:01", address, prefixlen,
                   ipv6_ra_mode=mode, ipv6_address_mode=mode)])


def flags(conf: str) -> dict[str, str]:
    words = [line.strip().rstrip(";").split() for line in conf.splitlines()]
    return {w[0]: w[1] for w in words if len(w) == 2 and w[0].startswith("Adv")}


def test_slaac_is_autonomous_without_dhcp_flags() -> None:
    conf = render_config(router_with("slaac"), {"n": Network(id="n", project_id="p",
                                                            mtu=1450)})
    assert f"interface qr-{PORT[:11]}" in conf and "prefix fd00:1::/64" in conf
    assert flags(conf) == {"AdvSendAdvert": "on", "AdvManagedFlag": "off",
                                "AdvOtherConfigFlag": "off", "AdvLinkMTU": "1450",
                                "AdvOnLink": "on", "AdvAutonomous": "on"}


def test_stateless_sets_other_config_and_stateful_managed() -> None:
    stateless = flags(render_config(router_with("dhcpv6-stateless"), {}))
    assert stateless["AdvOtherConfigFlag"] == "on" and stateless["AdvAutonomous"] == "on"
    stateful = flags(render_config(router_with("dhcpv6-stateful"), {}))
    assert stateful["AdvManagedFlag"] == "on" and stateful["AdvAutonomous"] == "off"


def test_nothing_for_ipv4_no_mode_or_autonomy_off_a_64() -> None:
    assert render_config(router_with(None), {}) == ""
    assert render_config(router_with("slaac", "10.0.0.1", 24), {}) == ""
    assert flags(render_config(router_with("slaac", "fd00:1::1", 80), {}))[
        "AdvAutonomous"] == "off"
