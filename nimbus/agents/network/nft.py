"""The agent's one wrapper around ``nft`` (nftables): transactions fed on stdin, tables read
back as JSON, in a given network namespace.

* ``apply(script, netns=)`` runs ``nft -f -`` with the whole script on stdin: the kernel
  applies it as one transaction, all or nothing, so a ruleset is never seen half-written.
* ``list_table(family, name, netns=)`` returns a ``Table`` parsed from ``nft -j list table``
  (None when the table is not there): its chains with their rules' comments, its sets and
  maps with their elements in the text form ``nft`` accepts back (``element_text``).
* ``delete_table`` removes a table if it is there.

Every call takes ``netns`` (a name under /run/netns, or None for the process's own) and runs
``nsenter --net=/run/netns/NAME -- nft ...``: the process itself never changes namespace.
Failures raise ``NftError`` with the full command line and nft's message; a hung ``nft`` is
killed after ``timeout`` seconds. Argv lists only, never a shell.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NETNS_DIR = Path("/run/netns")
TIMEOUT = 10.0


class ToolError(Exception):
    """A command failed or timed out; ``argv`` is the command line that ran."""

    def __init__(self, argv: Sequence[str], netns: str | None, detail: str,
                 returncode: int | None = None) -> None:
        self.argv = list(argv)
        self.netns = netns
        self.detail = detail
        self.returncode = returncode
        super().__init__(f"{' '.join(self.argv)} (netns {netns or '<own>'}): {detail}")


class NftError(ToolError):
    """``nft`` failed."""


def netns_argv(netns: str | None) -> list[str]:
    """The prefix that runs a command inside ``netns`` (nothing for the own namespace)."""
    return [] if netns is None else ["nsenter", f"--net={NETNS_DIR / netns}", "--"]


def run_tool(argv: Sequence[str], *, netns: str | None = None, input: str | None = None,
             timeout: float = TIMEOUT, check: bool = True,
             error: type[ToolError] = ToolError) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside ``netns``; raises ``error`` naming the command line on a non-zero
    exit (when ``check``) or a timeout. Shared by the tc wrapper."""
    full = netns_argv(netns) + list(argv)
    try:
        proc = subprocess.run(full, input=input, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        raise error(full, netns, f"timed out after {timeout}s") from e
    except OSError as e:
        raise error(full, netns, str(e)) from e
    if check and proc.returncode != 0:
        raise error(full, netns, (proc.stderr or proc.stdout).strip(), proc.returncode)
    return proc


def apply(script: str, *, netns: str | None = None, timeout: float = TIMEOUT) -> None:
    """Apply ``script`` (nft syntax, many commands) as one atomic transaction."""
    try:
        run_tool(["nft", "-f", "-"], netns=netns, input=script, timeout=timeout, error=NftError)
    except NftError as e:
        # nft points at the failing line of stdin; keep the script's first lines for context.
        raise NftError(e.argv, netns, f"{e.args[0]}\n--- script ---\n{script[:4000]}",
                       e.returncode) from None


@dataclass
class Chain:
    name: str
    handle: int
    hook: str | None = None
    # The comment of each rule, in order ("" for a rule without one).
    comments: list[str] = field(default_factory=list)


@dataclass
class NamedSet:
    name: str
    handle: int
    is_map: bool
    elements: set[str] = field(default_factory=set)


@dataclass
class Table:
    family: str
    name: str
    handle: int
    chains: dict[str, Chain] = field(default_factory=dict)
    sets: dict[str, NamedSet] = field(default_factory=dict)


def element_text(value: Any) -> str:
    """One element (key, or ``key : value`` of a map) of nft's JSON in nft's own syntax."""
    if isinstance(value, list):          # a map element: [key, value]
        return f"{element_text(value[0])} : {element_text(value[1])}"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, dict):
        if "elem" in value:              # an element with options (timeout, comment)
            return element_text(value["elem"]["val"])
        if "prefix" in value:
            return f"{value['prefix']['addr']}/{value['prefix']['len']}"
        if "range" in value:
            return f"{element_text(value['range'][0])}-{element_text(value['range'][1])}"
        if "concat" in value:
            return " . ".join(element_text(v) for v in value["concat"])
        for verdict in ("jump", "goto"):
            if verdict in value:
                return f"{verdict} {value[verdict]['target']}"
        if len(value) == 1:              # accept, drop, continue, return: {"accept": null}
            return next(iter(value))
    raise ValueError(f"unexpected nft JSON element {value!r}")


def parse_table(doc: dict[str, Any]) -> Table | None:
    """A ``Table`` from the output of ``nft -j list table``."""
    table: Table | None = None
    for item in doc.get("nftables", []):
        if "table" in item:
            t = item["table"]
            table = Table(t["family"], t["name"], t["handle"])
        elif table is None:
            continue
        elif "chain" in item:
            c = item["chain"]
            table.chains[c["name"]] = Chain(c["name"], c["handle"], c.get("hook"))
        elif "set" in item or "map" in item:
            s = item.get("set") or item["map"]
            elems = {element_text(e) for e in s.get("elem", [])}
            table.sets[s["name"]] = NamedSet(s["name"], s["handle"], "map" in item, elems)
        elif "rule" in item:
            r = item["rule"]
            chain = table.chains.get(r["chain"])
            if chain is not None:
                chain.comments.append(r.get("comment", ""))
    return table


def list_table(family: str, name: str, *, netns: str | None = None,
               timeout: float = TIMEOUT) -> Table | None:
    """The table as it is in the kernel, or None when there is no such table."""
    proc = run_tool(["nft", "-j", "list", "table", family, name], netns=netns,
                    timeout=timeout, check=False, error=NftError)
    if proc.returncode != 0:
        if "No such file or directory" in proc.stderr:
            return None
        raise NftError(netns_argv(netns) + ["nft", "-j", "list", "table", family, name],
                       netns, proc.stderr.strip(), proc.returncode)
    return parse_table(json.loads(proc.stdout))


def delete_table(family: str, name: str, *, netns: str | None = None) -> bool:
    """Remove the table; False when it was not there."""
    if list_table(family, name, netns=netns) is None:
        return False
    apply(f"delete table {family} {name}\n", netns=netns)
    return True


def quote(text: str) -> str:
    """A string literal for an nft script (interface names, comments); refuses what could
    break out of the quotes, since scripts are built from API data."""
    if any(c in text for c in '"\\\n\r;'):
        raise ValueError(f"refusing to put {text!r} into an nft script")
    return f'"{text}"'


# --- desired tables and the plan that makes the kernel match ------------------------------

@dataclass
class ChainSpec:
    """A chain as it should be: ``hook`` is the base-chain declaration ("type filter hook
    prerouting priority -200; policy accept;") or None for a regular chain."""

    name: str
    rules: list[str]
    hook: str | None = None

    def digest(self) -> str:
        text = "\n".join([self.hook or ""] + self.rules)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class SetSpec:
    """A named set or map as it should be. ``elements`` are in the text form
    ``element_text`` gives back (parts joined by " . ", a map's value after " : ");
    ``quoted`` lists the key parts that are strings (interface names) and need quotes."""

    name: str
    decl: str                       # "type ipv4_addr; flags interval;"
    elements: set[str] = field(default_factory=set)
    is_map: bool = False
    quoted: frozenset[int] = frozenset()

    def render(self, element: str, *, key_only: bool = False) -> str:
        key, sep, value = element.partition(" : ")
        parts = [quote(p) if i in self.quoted else p for i, p in enumerate(key.split(" . "))]
        text = " . ".join(parts)
        return text if key_only or not sep else f"{text} : {value}"


@dataclass
class TableSpec:
    family: str
    name: str
    chains: dict[str, ChainSpec] = field(default_factory=dict)
    sets: dict[str, SetSpec] = field(default_factory=dict)

    def add_chain(self, chain: ChainSpec) -> None:
        self.chains[chain.name] = chain

    def add_set(self, spec: SetSpec) -> None:
        self.sets[spec.name] = spec


DIGEST_PREFIX = "nimbus:"


def plan(desired: TableSpec, actual: Table | None) -> tuple[list[str], list[str]]:
    """The nft commands that turn ``actual`` into ``desired``, and one line per change.

    Only what differs is touched: a chain is rewritten (flushed and filled, in the same
    transaction) when the digest in its first rule's comment is not the desired one; sets
    and maps get their missing elements added and their extra ones deleted, in place.
    Empty lists: nothing to do."""
    t = f"{desired.family} {desired.name}"
    cmds: list[str] = []
    changes: list[str] = []
    if actual is None:
        cmds.append(f"add table {t}")
        changes.append(f"table {t}: created")
        actual = Table(desired.family, desired.name, 0)
    for spec in desired.sets.values():
        if spec.name not in actual.sets:
            kind = "map" if spec.is_map else "set"
            cmds.append(f"add {kind} {t} {spec.name} {{ {spec.decl} }}")
            changes.append(f"{t}: added {kind} {spec.name}")
    cmds += [f"add chain {t} {c.name}" + (f" {{ {c.hook} }}" if c.hook else "")
             for c in desired.chains.values() if c.name not in actual.chains]
    for chain in desired.chains.values():
        _plan_chain(cmds, changes, t, chain, actual.chains.get(chain.name))
    # Elements after the chains: a verdict map's elements jump to chains made above.
    for spec in desired.sets.values():
        old = actual.sets.get(spec.name)
        if old is None:
            _add_elements(cmds, t, spec, spec.elements)
        else:
            _plan_elements(cmds, changes, t, spec, old.elements)
    _plan_removals(cmds, changes, t, desired, actual)
    return cmds, changes


def _plan_removals(cmds: list[str], changes: list[str], t: str, desired: TableSpec,
                   actual: Table) -> None:
    # Gone chains are emptied first (their rules may name gone sets), then gone sets and
    # maps go (a verdict map may jump to a gone chain), then the chains themselves.
    gone = [name for name in actual.chains if name not in desired.chains]
    cmds += [f"flush chain {t} {name}" for name in gone]
    for name, old_set in actual.sets.items():
        if name not in desired.sets:
            kind = "map" if old_set.is_map else "set"
            cmds.append(f"delete {kind} {t} {name}")
            changes.append(f"{t}: removed {kind} {name}")
    cmds += [f"delete chain {t} {name}" for name in gone]
    changes += [f"{t}: removed chain {name}" for name in gone]


def _plan_chain(cmds: list[str], changes: list[str], t: str, chain: ChainSpec,
                old: Chain | None) -> None:
    digest = DIGEST_PREFIX + chain.digest()
    if old is not None and old.comments[:1] == [digest]:
        return
    if old is not None:
        cmds.append(f"flush chain {t} {chain.name}")
    changes.append(f"{t}: {'rewrote' if old is not None else 'added'} chain {chain.name}")
    for i, rule in enumerate(chain.rules or ["counter"]):
        comment = f" comment {quote(digest)}" if i == 0 else ""
        cmds.append(f"add rule {t} {chain.name} {rule}{comment}")


def _plan_elements(cmds: list[str], changes: list[str], t: str, spec: SetSpec,
                   present: set[str]) -> None:
    extra = present - spec.elements
    missing = spec.elements - present
    if extra:
        keys = ", ".join(sorted(spec.render(e, key_only=True) for e in extra))
        cmds.append(f"delete element {t} {spec.name} {{ {keys} }}")
        changes.append(f"{t}: {spec.name} -{len(extra)}: {', '.join(sorted(extra))}")
    if missing:
        _add_elements(cmds, t, spec, missing)
        changes.append(f"{t}: {spec.name} +{len(missing)}: {', '.join(sorted(missing))}")


def _add_elements(cmds: list[str], t: str, spec: SetSpec, elements: set[str]) -> None:
    if elements:
        text = ", ".join(spec.render(e) for e in sorted(elements))
        cmds.append(f"add element {t} {spec.name} {{ {text} }}")


# --- added for the L3 part (helper cleanup): the table as nft prints it ---------------------

def table_text(family: str, name: str, *, netns: str | None = None,
               timeout: float = TIMEOUT) -> str | None:
    """``nft list table FAMILY NAME`` as text (comments included, which the L3 part keeps a
    digest in), or None when the table is not there or cannot be read."""
    proc = run_tool(["nft", "list", "table", family, name], netns=netns, timeout=timeout,
                    check=False, error=NftError)
    return proc.stdout if proc.returncode == 0 else None


def list_tables(*, netns: str | None = None,
                timeout: float = TIMEOUT) -> list[tuple[str, str]]:
    """Every table in ``netns`` as (family, name)."""
    proc = run_tool(["nft", "-j", "list", "tables"], netns=netns, timeout=timeout,
                    error=NftError)
    return [(item["table"]["family"], item["table"]["name"])
            for item in json.loads(proc.stdout or "{}").get("nftables", [])
            if "table" in item]
