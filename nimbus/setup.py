"""Preparing a data dir: config, keys, database schema, bootstrap, clouds.yaml."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nimbus.config import Settings
from nimbus.kernel.keys import KeyRepository
from nimbus.kernel.migrate import upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services import CATALOG

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    first_run: bool
    clouds_yaml: Path


def prepare(settings: Settings, runtime: Runtime | None = None) -> Prepared:
    from nimbus.services.identity.bootstrap import CatalogEntry, bootstrap
    from nimbus.services.identity.service import identity_of

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    if not settings.config_file.exists():
        # Where it listens (clouds.yaml points there) and its database stay; the rest default.
        kept = frozenset({"host", "port", "database_url"})
        settings.config_file.write_text(settings.to_toml(keep=kept))
    if (settings.data_dir / "policy.yaml").exists():
        log.warning("%s is not read: policy overrides go in %s, one file per service "
                    "(identity.yaml, image.yaml)", settings.data_dir / "policy.yaml",
                    settings.policy_file("identity").parent)
    KeyRepository(settings.fernet_key_dir, settings.fernet_max_active_keys).ensure()
    KeyRepository(settings.credential_key_dir, settings.fernet_max_active_keys).ensure()
    own_runtime = runtime is None
    runtime = runtime or Runtime(settings)
    try:
        upgrade(runtime.db.engine)
        clouds = settings.data_dir / "clouds.yaml"
        password = _existing_password(clouds) or secrets.token_urlsafe(18)
        entries = [CatalogEntry(type=t, name=n, path=p) for t, n, p in CATALOG]
        first = bootstrap(identity_of(runtime), password, entries)
        if first or not clouds.exists() or _existing_password(clouds):
            write_clouds_yaml(clouds, settings, password)
        _register_guest_image(runtime)
        _make_public_network(runtime)
        _seed_flavors(runtime)
    finally:
        if own_runtime:
            runtime.close()
    return Prepared(first_run=first, clouds_yaml=clouds)


def _register_guest_image(runtime: Runtime) -> None:
    from nimbus.services.identity.service import identity_of
    from nimbus.services.image.seed import (
        default_guest_image,
        register_guest_image,
        seed_metadefs,
    )

    seed_metadefs(runtime)
    settings = runtime.settings
    path = Path(settings.guest_image).expanduser() if settings.guest_image \
        else default_guest_image()
    admin_project = identity_of(runtime).admin_project_id()
    register_guest_image(runtime, admin_project, path)


def _make_public_network(runtime: Runtime) -> None:
    from nimbus.services.identity.service import identity_of
    from nimbus.services.network.seed import ensure_private_network, ensure_public_network

    admin_project = identity_of(runtime).admin_project_id()
    public = ensure_public_network(runtime, admin_project)
    ensure_private_network(runtime, admin_project, public)


def _seed_flavors(runtime: Runtime) -> None:
    from nimbus.services.compute.seed import seed_flavors

    seed_flavors(runtime)


def _existing_password(clouds: Path) -> str | None:
    if not clouds.exists():
        return None
    try:
        doc: Any = yaml.safe_load(clouds.read_text()) or {}
        return doc["clouds"]["nimbus"]["auth"]["password"]
    except (KeyError, TypeError, yaml.YAMLError):
        return None


def write_clouds_yaml(path: Path, settings: Settings, password: str) -> None:
    auth = {"auth_url": f"{settings.effective_public_url}/identity", "username": "admin",
            "password": password, "user_domain_name": "Default"}
    doc = {"clouds": {
        "nimbus": {"auth": {**auth, "project_name": "admin",
                            "project_domain_name": "Default"},
                   "region_name": settings.region, "interface": "public",
                   "identity_api_version": 3},
        "nimbus-system": {"auth": {**auth, "system_scope": "all"},
                          "region_name": settings.region, "interface": "public",
                          "identity_api_version": 3},
    }}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(doc, f, default_flow_style=False, sort_keys=False)
    os.chmod(path, 0o600)
