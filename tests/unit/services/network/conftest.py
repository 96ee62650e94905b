"""What the network service's unit tests share: a runtime on a migrated SQLite data dir,
callers, and small factories."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nimbus.config import Settings
from nimbus.kernel.context import RequestContext
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.network.models.core import AllocationPool, Subnet
from nimbus.services.network.service import NetworkService, network_of


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    upgrade(runtime.db.engine)
    yield runtime
    runtime.close()


@pytest.fixture
def net(runtime: Runtime) -> NetworkService:
    return network_of(runtime)


@pytest.fixture
def admin_ctx() -> RequestContext:
    return RequestContext(user_id="u-admin", project_id="p-admin", roles=("admin", "member",
                                                                          "reader"))


@pytest.fixture
def make_subnet(net: NetworkService) -> Callable[..., str]:
    """A subnet row straight in the table (the subnet API has its own tests)."""
    def make(network_id: str, cidr: str = "10.0.0.0/24", gateway: str | None = "10.0.0.1",
             pool: tuple[str, str] = ("10.0.0.2", "10.0.0.254"), **kw: Any) -> str:
        subnet_id = str(uuid.uuid4())
        with net.db.session() as s, s.begin():
            s.add(Subnet(id=subnet_id, project_id="p-admin", network_id=network_id,
                         ip_version=6 if ":" in cidr else 4, cidr=cidr, gateway_ip=gateway,
                         created_at=dt.datetime.now(), **kw))
            s.flush()
            s.add(AllocationPool(subnet_id=subnet_id, first_ip=pool[0], last_ip=pool[1]))
        return subnet_id
    return make
