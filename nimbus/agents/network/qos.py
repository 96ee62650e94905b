"""QoS of the ports on this host: Neutron's bandwidth-limit and DSCP-marking rules.

* Bandwidth *to* the guest (``ingress_max_kbps``): a ``tbf`` root qdisc on the port's tap
  (what leaves the tap enters the guest), as Neutron's Linux-bridge agent does.
* Bandwidth *from* the guest (``max_kbps``): what the guest sends enters the tap, so it is
  policed there: a ``tc`` ingress policer where the kernel has the police action; where it
  has not (this machine's kernel lacks act_police, cls_basic and matchall, checked), the same
  policer as an nftables ``limit rate over ... drop`` on the tap, in the bridge family. Its
  bucket holds at least one second of the rate (the kernel's nft_limit adds the burst to
  one unit of the rate), so a burst below that is rounded up to it.
* DSCP marking (``dscp_mark``): ``ip dscp set`` / ``ip6 dscp set`` on what the guest sends,
  in the bridge family (the IP header checksum is fixed by nftables).

Bursts: ``max_burst_kbps``, or 80% of the rate when it is not given, as Neutron does; never
below two full frames. The nftables rules live in the bridge table ``nimbus-qos`` of the
agent's host netns (prerouting, priority -150: after the anti-spoofing of ``nimbus-sg``),
one chain rewritten atomically when it differs. Taps that no longer have a policy get their
qdiscs back to the default: the agent owns every tap* device of its host netns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from nimbus.agents.network import nft, tc
from nimbus.agents.network.base import HostContext
from nimbus.agents.network.messages import HostState, Qos
from nimbus.agents.network.security_groups import tap_name

TABLE = "nimbus-qos"
MIN_BURST = 2 * 1514
TOLERANCE = 0.03                    # tc rounds rates and bursts to its clock ticks


def burst_bytes(rate_kbps: int, burst_kbps: int | None) -> int:
    kbit = burst_kbps or int(rate_kbps * 0.8)
    return max(kbit * 125, MIN_BURST)


@dataclass(frozen=True)
class Limit:
    rate_kbps: int
    burst: int                      # bytes

    @classmethod
    def of(cls, rate: int | None, burst: int | None) -> Limit | None:
        return cls(rate, burst_bytes(rate, burst)) if rate else None


@dataclass(frozen=True)
class PortQos:
    egress: Limit | None            # from the guest
    ingress: Limit | None           # to the guest
    dscp: int | None


def wanted(state: HostState) -> dict[str, PortQos]:
    """Tap -> its policy, for the ports of this host that have one."""
    out = {}
    for network in state.networks:
        for port in network.ports:
            q: Qos | None = port.qos
            if q is None:
                continue
            out[tap_name(port.id)] = PortQos(Limit.of(q.max_kbps, q.max_burst_kbps),
                                             Limit.of(q.ingress_max_kbps,
                                                      q.ingress_max_burst_kbps),
                                             q.dscp_mark)
    return out


def qos_table(want: dict[str, PortQos], police_in_nft: set[str]) -> nft.TableSpec:
    rules = []
    for tap in sorted(want):
        q, name = want[tap], nft.quote(tap)
        if tap in police_in_nft and q.egress:
            rate = q.egress.rate_kbps * 125
            # nft's bucket holds one second of the rate plus the burst: take the rate off.
            burst = max(q.egress.burst - rate, 0)
            rules.append(f"iifname {name} limit rate over {rate} bytes/second "
                         f"burst {burst} bytes drop")
        if q.dscp is not None:
            rules += [f"iifname {name} ip dscp set {int(q.dscp)}",
                      f"iifname {name} ip6 dscp set {int(q.dscp)}"]
    table = nft.TableSpec("bridge", TABLE)
    table.add_chain(nft.ChainSpec("qos-pre", rules,
                                  "type filter hook prerouting priority -150; policy accept;"))
    return table


def close(actual: tuple[int, int], limit: Limit) -> bool:
    rate, burst = actual
    want_rate = limit.rate_kbps * 125
    return abs(rate - want_rate) <= want_rate * TOLERANCE and \
        abs(burst - limit.burst) <= limit.burst * TOLERANCE + 64


class QosPart:
    name = "qos"

    def __init__(self, ctx: HostContext) -> None:
        self.ctx = ctx
        self.tc_police: bool | None = None          # None: not tried yet
        self._policed: dict[str, Limit] = {}        # what tc police was set to, per tap

    def reconcile(self, state: HostState) -> list[str]:
        want = wanted(state)
        netns = self.ctx.netns
        taps = existing_taps(netns)
        found = tc.qdiscs(netns)
        changes: list[str] = []
        police_in_nft: set[str] = set()
        for tap in sorted(taps):
            q = want.get(tap)
            changes += self._tbf(tap, q.ingress if q else None, found.get(tap, []))
            if not self._tc_police(tap, q.egress if q else None, found.get(tap, []), changes):
                police_in_nft.add(tap)
        changes += self._nft(qos_table({t: q for t, q in want.items() if t in taps},
                                       police_in_nft))
        for line in changes:
            self.ctx.log.info("qos: %s", line)
        return changes

    def teardown(self) -> list[str]:
        changes = []
        found = tc.qdiscs(self.ctx.netns)
        for tap in sorted(existing_taps(self.ctx.netns)):
            changes += self._tbf(tap, None, found.get(tap, []))
            self._tc_police(tap, None, found.get(tap, []), changes)
        if nft.delete_table("bridge", TABLE, netns=self.ctx.netns):
            changes.append(f"table bridge {TABLE}: removed")
        for line in changes:
            self.ctx.log.info("qos: %s", line)
        return changes

    def _tbf(self, tap: str, limit: Limit | None, found: list[dict]) -> list[str]:
        now = tc.tbf_of(found)
        if limit is None:
            if now is None:
                return []
            tc.delete_root(tap, self.ctx.netns)
            return [f"{tap}: removed the ingress bandwidth limit (tbf)"]
        if now is not None and close(now, limit):
            return []
        tc.set_tbf(tap, limit.rate_kbps, limit.burst, self.ctx.netns)
        return [f"{tap}: ingress bandwidth limit {limit.rate_kbps} kbps (tbf)"]

    def _tc_police(self, tap: str, limit: Limit | None, found: list[dict],
                   changes: list[str]) -> bool:
        """Police with tc; False when it has to be done with nftables instead."""
        if limit is None:
            if tc.has_ingress(found):
                tc.delete_ingress(tap, self.ctx.netns)
                changes.append(f"{tap}: removed the egress bandwidth limit (tc police)")
            self._policed.pop(tap, None)
            return True
        if self.tc_police is False:
            return False
        if self._policed.get(tap) == limit and tc.has_ingress(found):
            return True
        try:
            tc.set_police(tap, limit.rate_kbps, limit.burst, self.ctx.netns)
        except tc.TcUnsupported as e:
            self.tc_police = False
            self.ctx.log.warning("qos: no tc police action in this kernel (%s); policing "
                                 "with nftables", e)
            return False
        self.tc_police = True
        self._policed[tap] = limit
        changes.append(f"{tap}: egress bandwidth limit {limit.rate_kbps} kbps (tc police)")
        return True

    def _nft(self, table: nft.TableSpec) -> list[str]:
        netns = self.ctx.netns
        now = nft.list_table("bridge", TABLE, netns=netns)
        if not table.chains["qos-pre"].rules:
            if now is not None and nft.delete_table("bridge", TABLE, netns=netns):
                return [f"table bridge {TABLE}: removed"]
            return []
        cmds, changes = nft.plan(table, now)
        if cmds:
            nft.apply("\n".join(cmds) + "\n", netns=netns)
        return changes


def existing_taps(netns: str | None) -> set[str]:
    proc = nft.run_tool(["ip", "-j", "link", "show"], netns=netns)
    return {link["ifname"] for link in json.loads(proc.stdout or "[]")
            if link.get("ifname", "").startswith("tap")}
