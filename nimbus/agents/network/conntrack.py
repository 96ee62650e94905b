"""The agent's one wrapper around ``conntrack`` (conntrack-tools): deleting the connection
tracking entries that a removed security-group rule no longer allows, in a given netns, as
Neutron's firewall does (otherwise an established connection would outlive its rule).

Argv lists only; errors are ``ConntrackError`` with the command line. Deleting nothing is
not an error.
"""

from __future__ import annotations

import re

from nimbus.agents.network.nft import ToolError, run_tool

# conntrack-tools knows these by name; others go by number.
NAMED = {1: "icmp", 6: "tcp", 17: "udp", 33: "dccp", 58: "icmpv6", 132: "sctp",
         136: "udplite", 47: "gre"}
WITH_PORTS = {6, 17, 33, 132, 136}


class ConntrackError(ToolError):
    """``conntrack`` failed."""


def delete(*, netns: str | None, ipv6: bool, zone: int | None = None, src: str | None = None,
           dst: str | None = None, protocol: int | None = None,
           dport: int | None = None) -> int:
    """Delete the entries matching all that is given; returns how many went."""
    argv = ["conntrack", "-D", "-f", "ipv6" if ipv6 else "ipv4"]
    if zone is not None:
        argv += ["-w", str(zone)]
    if src:
        argv += ["-s", src]
    if dst:
        argv += ["-d", dst]
    if protocol is not None:
        argv += ["-p", NAMED.get(protocol, str(protocol))]
        if dport is not None and protocol in WITH_PORTS:
            argv += ["--dport", str(dport)]
    proc = run_tool(argv, netns=netns, check=False, error=ConntrackError)
    found = re.search(r"(\d+) flow entries have been deleted", proc.stderr)
    if found is None:
        raise ConntrackError(argv, netns, proc.stderr.strip(), proc.returncode)
    return int(found.group(1))
