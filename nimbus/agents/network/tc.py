"""The agent's one wrapper around ``tc`` (traffic control), in a given network namespace.

Two shapes, the ones Neutron's Linux-bridge QoS driver puts on a port's tap:

* traffic *to* the guest leaves the tap: a root ``tbf`` qdisc (``set_tbf``), read back with
  ``tbf_of``;
* traffic *from* the guest enters the tap: an ``ingress`` qdisc with a policing filter
  (``set_police``; a match-all u32 filter with a ``police`` action, prio 49). Kernels built
  without the police action (act_police) answer ``TcUnsupported``; the QoS part then polices
  with nftables instead.

Rates are Neutron's: kilobits per second (1000 bits); bursts are given in bytes here.
Errors are ``TcError`` with the full command line; argv lists only.
"""

from __future__ import annotations

import json
from typing import Any

from nimbus.agents.network.nft import ToolError, run_tool

TBF_LATENCY = "50ms"
POLICE_PRIO = "49"


class TcError(ToolError):
    """``tc`` failed."""


class TcUnsupported(TcError):
    """The kernel lacks the classifier or action asked for."""


def _tc(args: list[str], netns: str | None, *, check: bool = True) -> str:
    return run_tool(["tc", *args], netns=netns, check=check, error=TcError).stdout


def qdiscs(netns: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Device -> its qdiscs as ``tc -j`` reports them, for every device of the netns."""
    out: dict[str, list[dict[str, Any]]] = {}
    for q in json.loads(_tc(["-j", "qdisc", "show"], netns) or "[]"):
        out.setdefault(q.get("dev", ""), []).append(q)
    return out


def tbf_of(found: list[dict[str, Any]]) -> tuple[int, int] | None:
    """(rate bytes/s, burst bytes) of the root tbf among one device's qdiscs, if any."""
    for q in found:
        if q.get("kind") == "tbf" and q.get("root"):
            opts = q.get("options", {})
            return int(opts.get("rate", 0)), int(opts.get("burst", 0))
    return None


def has_ingress(found: list[dict[str, Any]]) -> bool:
    return any(q.get("kind") == "ingress" for q in found)


def set_tbf(dev: str, rate_kbps: int, burst_bytes: int, netns: str | None = None) -> None:
    _tc(["qdisc", "replace", "dev", dev, "root", "tbf", "rate", f"{rate_kbps}kbit",
         "burst", f"{burst_bytes}b", "latency", TBF_LATENCY], netns)


def delete_root(dev: str, netns: str | None = None) -> None:
    """Back to the device's default root qdisc."""
    _tc(["qdisc", "del", "dev", dev, "root"], netns)


def set_police(dev: str, rate_kbps: int, burst_bytes: int, netns: str | None = None) -> None:
    """Police what enters ``dev`` to the rate (drop above it), replacing an older policer."""
    found = qdiscs(netns).get(dev, [])
    if not has_ingress(found):
        _tc(["qdisc", "add", "dev", dev, "handle", "ffff:", "ingress"], netns)
    _tc(["filter", "del", "dev", dev, "parent", "ffff:", "prio", POLICE_PRIO], netns,
        check=False)
    try:
        _tc(["filter", "add", "dev", dev, "parent", "ffff:", "protocol", "all", "prio",
             POLICE_PRIO, "u32", "match", "u32", "0", "0", "police", "rate",
             f"{rate_kbps}kbit", "burst", f"{burst_bytes}b", "mtu", "64kb", "drop",
             "flowid", ":1"], netns)
    except TcError as e:
        if "not found" in e.detail or "Failed to load" in e.detail:
            delete_ingress(dev, netns)
            raise TcUnsupported(e.argv, netns, e.detail, e.returncode) from None
        raise


def delete_ingress(dev: str, netns: str | None = None) -> None:
    _tc(["qdisc", "del", "dev", dev, "ingress"], netns, check=False)
