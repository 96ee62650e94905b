"""Compute quotas on their own: which limit applies (user, project, class, default), what
``check`` refuses and how it words it, and the update rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.config import Settings
from nimbus.kernel.errors import BadRequest
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.errors import QuotaExceeded
from nimbus.services.compute.service import ComputeService, compute_of


class Servers:
    def __init__(self) -> None:
        self.by_user: dict[str, dict[str, int]] = {}

    def count(self, project_id: str, user_id: str | None) -> dict[str, int]:
        if user_id is not None:
            return self.by_user.get(user_id, {})
        totals: dict[str, int] = {}
        for counts in self.by_user.values():
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
        return totals


@pytest.fixture
def compute(tmp_path: Path) -> Iterator[ComputeService]:
    runtime = Runtime(Settings(data_dir=tmp_path))
    upgrade(runtime.db.engine)
    yield compute_of(runtime)
    runtime.close()


def test_the_limit_that_applies(compute: ComputeService) -> None:
    quotas = compute.quotas
    assert quotas.limits("p")["cores"] == 20
    quotas.update_class("default", {"cores": 30})
    assert quotas.limits("p")["cores"] == 30
    quotas.update("p", None, {"cores": 8}, force=False)
    quotas.update("p", "u", {"cores": 4}, force=False)
    assert quotas.limits("p")["cores"] == 8
    assert quotas.limits("p", "u")["cores"] == 4
    assert quotas.limits("p", "other")["cores"] == 8
    quotas.reset("p", "u")
    assert quotas.limits("p", "u")["cores"] == 8
    quotas.reset("p", None)
    assert quotas.limits("p")["cores"] == 30


def test_check_counts_servers_per_project_and_user(compute: ComputeService) -> None:
    servers = Servers()
    compute.usage.register(servers)
    servers.by_user = {"u1": {"instances": 3, "cores": 6, "ram": 3072},
                       "u2": {"instances": 1, "cores": 2, "ram": 512}}
    quotas = compute.quotas
    quotas.update("p", None, {"cores": 10, "instances": 10}, force=True)
    quotas.check("p", "u1", {"cores": 2, "instances": 1})
    with pytest.raises(QuotaExceeded) as err:
        quotas.check("p", "u1", {"cores": 3, "instances": 1, "ram": 1})
    assert err.value.message == ("Quota exceeded for cores: Requested 3, but already used "
                                 "8 of 10 cores")
    quotas.update("p", "u2", {"instances": 2}, force=True)
    with pytest.raises(QuotaExceeded) as err:
        quotas.check("p", "u2", {"instances": 2})
    assert "instances: Requested 2, but already used 1 of 2 instances" in err.value.message
    quotas.check("p", "u2", {"instances": -5, "cores": 0})  # giving back is always fine
    quotas.update("p", None, {"cores": -1}, force=True)
    quotas.check("p", "u1", {"cores": 10 ** 6})


def test_several_resources_over_are_named_together(compute: ComputeService) -> None:
    compute.quotas.update("p", None, {"cores": 1, "ram": 100}, force=True)
    with pytest.raises(QuotaExceeded) as err:
        compute.quotas.check("p", None, {"cores": 2, "ram": 200})
    assert err.value.message == ("Quota exceeded for cores, ram: Requested 2, 200, but "
                                 "already used 0, 0 of 1, 100 cores, ram")
    assert err.value.status == 403


def test_update_rules(compute: ComputeService) -> None:
    servers = Servers()
    servers.by_user = {"u": {"instances": 2}}
    compute.usage.register(servers)
    quotas = compute.quotas
    with pytest.raises(BadRequest) as err:
        quotas.update("p", None, {"instances": 1}, force=False)
    assert "must be greater than or equal to already used and reserved 2" in err.value.message
    quotas.update("p", None, {"instances": 1}, force=True)
    with pytest.raises(BadRequest) as err:
        quotas.update("p", "u", {"instances": -1}, force=True)
    assert "must be less than or equal to 1" in err.value.message
    assert quotas.limits("p", "u")["instances"] == 1
