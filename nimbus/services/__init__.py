"""The OpenStack services. Each is a package shaped the same way: api, schemas, models,
service, errors."""

from __future__ import annotations

import importlib

# In start-up order; each package's api module exposes ``build_api(runtime)``.
SERVICES = ["identity", "image", "network", "placement", "compute", "object"]

# What each service puts in the catalog: (type, name, path under the public URL).
CATALOG = [
    ("identity", "keystone", "/identity"),
    ("image", "glance", "/image"),
    ("network", "neutron", "/network"),
    ("placement", "placement", "/placement"),
    ("compute", "nova", "/compute/v2.1"),
    # Substituted per token scope by the catalog, as DevStack registers Swift.
    ("object-store", "swift", "/object-store/v1/AUTH_$(project_id)s"),
    # The S3 API on the object store's data (nimbus/services/object/s3/), path-style.
    ("s3", "s3", "/s3"),
]


def load_models() -> None:
    """Import every service's tables onto the shared metadata (for Alembic)."""
    for name in SERVICES:
        importlib.import_module(f"nimbus.services.{name}.models")
