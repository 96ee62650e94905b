"""The nft wrapper without root: JSON parsing and the plan that makes a table match."""

from __future__ import annotations

import pytest

from nimbus.agents.network import nft

LISTING = {"nftables": [
    {"metainfo": {"version": "1.0.6"}},
    {"table": {"family": "inet", "name": "t", "handle": 3}},
    {"set": {"family": "inet", "name": "rg", "table": "t", "type": "ipv4_addr", "handle": 1,
             "flags": ["interval"],
             "elem": ["10.0.0.1", {"prefix": {"addr": "10.1.0.0", "len": 16}},
                      {"range": ["10.2.0.1", "10.2.0.9"]}]}},
    {"map": {"family": "inet", "name": "marks", "table": "t", "type": "ifname", "map": "mark",
             "handle": 2, "elem": [["tapa", 1308626944]]}},
    {"map": {"family": "inet", "name": "vm", "table": "t", "type": "mark", "map": "verdict",
             "handle": 4, "elem": [[5, {"jump": {"target": "in-a"}}], [6, {"drop": None}]]}},
    {"set": {"family": "inet", "name": "pairs", "table": "t", "handle": 5,
             "elem": [{"concat": ["tapa", "02:00:00:00:00:01", "10.0.0.1"]}]}},
    {"chain": {"family": "inet", "table": "t", "name": "in-a", "handle": 7}},
    {"chain": {"family": "inet", "table": "t", "name": "pre", "handle": 8,
               "hook": "prerouting", "prio": 0}},
    {"rule": {"family": "inet", "table": "t", "chain": "in-a", "handle": 9, "expr": [],
              "comment": "nimbus:abc"}},
    {"rule": {"family": "inet", "table": "t", "chain": "in-a", "handle": 10, "expr": []}},
]}


def test_parse_table_reads_chains_sets_and_maps_in_nft_syntax():
    table = nft.parse_table(LISTING)
    assert table is not None and table.handle == 3
    assert table.sets["rg"].elements == {"10.0.0.1", "10.1.0.0/16", "10.2.0.1-10.2.0.9"}
    assert table.sets["marks"].is_map and table.sets["marks"].elements == {"tapa : 1308626944"}
    assert table.sets["vm"].elements == {"5 : jump in-a", "6 : drop"}
    assert table.sets["pairs"].elements == {"tapa . 02:00:00:00:00:01 . 10.0.0.1"}
    assert table.chains["in-a"].comments == ["nimbus:abc", ""]
    assert table.chains["pre"].hook == "prerouting"


def spec() -> nft.TableSpec:
    t = nft.TableSpec("inet", "t")
    t.add_set(nft.SetSpec("rg", "type ipv4_addr; flags interval;", {"10.0.0.1"}))
    t.add_set(nft.SetSpec("marks", "typeof iifname : meta mark;", {"tapa : 7"}, True,
                          frozenset({0})))
    t.add_chain(nft.ChainSpec("in-a", ["ip saddr @rg accept", "drop"]))
    t.add_chain(nft.ChainSpec("pre", ["meta mark set iifname map @marks"],
                              "type filter hook prerouting priority 0; policy accept;"))
    return t


def test_plan_for_a_missing_table_creates_everything_sets_before_chains():
    cmds, changes = nft.plan(spec(), None)
    assert cmds[0] == "add table inet t"
    assert cmds.index("add set inet t rg { type ipv4_addr; flags interval; }") < \
        cmds.index("add chain inet t in-a")
    assert "add chain inet t pre { type filter hook prerouting priority 0; policy accept; }" \
        in cmds
    digest = "nimbus:" + spec().chains["in-a"].digest()
    assert f'add rule inet t in-a ip saddr @rg accept comment "{digest}"' in cmds
    assert "add rule inet t in-a drop" in cmds
    assert cmds[-1] == 'add element inet t marks { "tapa" : 7 }'
    assert "table inet t: created" in changes


def applied(desired: nft.TableSpec) -> nft.Table:
    """What the kernel would list after applying ``desired``."""
    table = nft.Table(desired.family, desired.name, 1)
    for c in desired.chains.values():
        table.chains[c.name] = nft.Chain(c.name, 1, None, ["nimbus:" + c.digest()] +
                                         [""] * (len(c.rules) - 1))
    for s in desired.sets.values():
        table.sets[s.name] = nft.NamedSet(s.name, 1, s.is_map, set(s.elements))
    return table


def test_plan_of_an_equal_table_is_empty():
    assert nft.plan(spec(), applied(spec())) == ([], [])


def test_plan_changes_elements_in_place_and_rewrites_only_a_changed_chain():
    want = spec()
    now = applied(want)
    want.sets["rg"].elements = {"10.0.0.2"}
    want.sets["marks"].elements = {"tapa : 8"}
    want.chains["in-a"].rules = ["ip saddr @rg accept", "reject"]
    cmds, changes = nft.plan(want, now)
    assert cmds == [
        "flush chain inet t in-a",
        f'add rule inet t in-a ip saddr @rg accept comment "nimbus:{want.chains["in-a"].digest()}"',
        "add rule inet t in-a reject",
        "delete element inet t rg { 10.0.0.1 }",
        "add element inet t rg { 10.0.0.2 }",
        'delete element inet t marks { "tapa" }',
        'add element inet t marks { "tapa" : 8 }',
    ]
    assert "inet t: rewrote chain in-a" in changes
    assert "inet t: rg +1: 10.0.0.2" in changes


def test_plan_removes_chains_after_their_references_and_sets_last():
    want = spec()
    now = applied(want)
    now.chains["out-b"] = nft.Chain("out-b", 2, None, ["nimbus:x"])
    now.sets["vm"] = nft.NamedSet("vm", 3, True, {"5 : jump out-b"})
    cmds, _ = nft.plan(want, now)
    assert cmds == ["flush chain inet t out-b", "delete map inet t vm",
                    "delete chain inet t out-b"]


def test_quote_refuses_what_would_break_out():
    assert nft.quote("tapabc") == '"tapabc"'
    for bad in ['a"b', "a;b", "a\nb", "a\\b"]:
        with pytest.raises(ValueError):
            nft.quote(bad)


def test_errors_name_the_command(monkeypatch):
    with pytest.raises(nft.ToolError) as e:
        nft.run_tool(["false"], netns="nimbus-none", timeout=5)
    assert "nsenter --net=/run/netns/nimbus-none -- false" in str(e.value)
