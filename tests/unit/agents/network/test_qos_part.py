"""QoS rules without root: bursts as Neutron computes them, the nftables chain."""

from __future__ import annotations

from nimbus.agents.network import qos
from nimbus.agents.network.messages import HostState, Network, Port, Qos


def test_burst_defaults_to_80_percent_of_the_rate_and_never_below_two_frames():
    assert qos.burst_bytes(1000, None) == 800 * 125
    assert qos.burst_bytes(1000, 300) == 300 * 125
    assert qos.burst_bytes(8, None) == qos.MIN_BURST


def test_wanted_takes_both_directions_and_dscp_per_tap():
    p = Port("aaaaaaaa-bbbb-cccc", "n", "p", "02:00:00:00:00:01",
             qos=Qos(max_kbps=2000, ingress_max_kbps=1000, ingress_max_burst_kbps=100,
                     dscp_mark=26))
    want = qos.wanted(HostState("h", networks=[Network("n", "p", ports=[p])]))
    assert want == {"tapaaaaaaaa-bb": qos.PortQos(qos.Limit(2000, 1600 * 125),
                                                  qos.Limit(1000, 100 * 125), 26)}


def test_nft_chain_polices_only_where_tc_cannot_and_marks_dscp():
    want = {"tapa": qos.PortQos(qos.Limit(8000, 2_000_000), None, 10),
            "tapb": qos.PortQos(qos.Limit(8000, 2_000_000), None, None)}
    rules = qos.qos_table(want, {"tapa"}).chains["qos-pre"].rules
    assert rules == [
        'iifname "tapa" limit rate over 1000000 bytes/second burst 1000000 bytes drop',
        'iifname "tapa" ip dscp set 10',
        'iifname "tapa" ip6 dscp set 10',
    ]


def test_tc_readback_is_compared_with_its_rounding():
    limit = qos.Limit(8000, 800_000)
    assert qos.close((1_000_000, 800_000), limit)
    assert qos.close((1_000_400, 800_010), limit)
    assert not qos.close((2_000_000, 800_000), limit)
