"""``nimbus up`` seeds DevStack's flavors once: a second start adds nothing, and a seeded
flavor an operator deleted stays deleted."""

from __future__ import annotations

from pathlib import Path

from nimbus.config import Settings
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services.compute.seed import DEFAULT_FLAVORS, seed_flavors
from nimbus.services.compute.service import compute_of


def test_seeded_once(tmp_path: Path) -> None:
    runtime = Runtime(Settings(data_dir=tmp_path))
    try:
        upgrade(runtime.db.engine)
        made = seed_flavors(runtime)
        assert made == [name for _, name, *_ in DEFAULT_FLAVORS]
        flavors = compute_of(runtime).flavors
        nano = flavors.get("42")
        assert (nano["name"], nano["memory_mb"], nano["vcpus"], nano["root_gb"]) == \
            ("m1.nano", 128, 1, 1)
        assert flavors.get("84")["memory_mb"] == 192
        flavors.delete(None, "1")
        assert seed_flavors(runtime) == []
        names = {f["name"] for f in flavors.list(None, is_public=None, min_ram=None,
                                                 min_disk=None, sort_key="flavorid",
                                                 sort_dir="asc")}
        assert "m1.tiny" not in names and "m1.small" in names
    finally:
        runtime.close()
