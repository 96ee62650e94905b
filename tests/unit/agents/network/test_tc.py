"""The tc wrapper without root: the command lines it runs and how it reads tc's JSON."""

from __future__ import annotations

import subprocess

import pytest

from nimbus.agents.network import tc


class FakeTc:
    """Stands in for run_tool: records argv, answers from a script of (stdout, rc)."""

    def __init__(self, answers: dict[str, tuple[str, int]]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []

    def __call__(self, argv, *, netns=None, check=True, error=tc.TcError, **kw):
        self.calls.append(list(argv))
        key = " ".join(argv[1:3])
        out, rc = self.answers.get(key, ("", 0))
        if check and rc:
            raise error(argv, netns, out, rc)
        return subprocess.CompletedProcess(argv, rc, out if not rc else "", out if rc else "")


def test_set_tbf_runs_neutrons_command(monkeypatch):
    fake = FakeTc({})
    monkeypatch.setattr(tc, "run_tool", fake)
    tc.set_tbf("tapx", 8000, 800_000, netns="ns")
    assert fake.calls == [["tc", "qdisc", "replace", "dev", "tapx", "root", "tbf", "rate",
                           "8000kbit", "burst", "800000b", "latency", "50ms"]]


def test_set_police_adds_the_ingress_qdisc_and_a_match_all_policer(monkeypatch):
    fake = FakeTc({"-j qdisc": ("[]", 0)})
    monkeypatch.setattr(tc, "run_tool", fake)
    tc.set_police("tapx", 1000, 100_000)
    assert ["tc", "qdisc", "add", "dev", "tapx", "handle", "ffff:", "ingress"] in fake.calls
    assert fake.calls[-1][:9] == ["tc", "filter", "add", "dev", "tapx", "parent", "ffff:",
                                  "protocol", "all"]
    assert "police" in fake.calls[-1] and "1000kbit" in fake.calls[-1]


def test_a_kernel_without_the_police_action_is_told_apart(monkeypatch):
    fake = FakeTc({"-j qdisc": ('[{"dev": "tapx", "kind": "ingress"}]', 0),
                   "filter add": ("Error: Failed to load TC action module.", 2)})
    monkeypatch.setattr(tc, "run_tool", fake)
    with pytest.raises(tc.TcUnsupported):
        tc.set_police("tapx", 1000, 100_000)
    assert fake.calls[-1] == ["tc", "qdisc", "del", "dev", "tapx", "ingress"]


def test_tbf_is_read_from_tc_json():
    found = [{"kind": "tbf", "handle": "8001:", "root": True,
              "options": {"rate": 1000000, "burst": 819200, "lat": 50000}},
             {"kind": "ingress", "handle": "ffff:"}]
    assert tc.tbf_of(found) == (1000000, 819200)
    assert tc.has_ingress(found)
    assert tc.tbf_of([{"kind": "noqueue", "root": True}]) is None
