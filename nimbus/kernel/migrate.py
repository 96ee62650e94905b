"""Alembic, driven from code: upgrade every service's branch to its head and tell whether a
database is current.

Each service keeps its revisions in ``nimbus/services/<svc>/migrations/`` as an Alembic branch
of its own (``branch_labels = ("<svc>",)``), so adding a service touches no other service's
files. The kernel holds only the environment (``kernel/migrations/env.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICES_DIR = Path(__file__).parent.parent / "services"


def version_locations() -> list[Path]:
    """Every service's migrations folder, in a stable order."""
    return sorted(p for p in SERVICES_DIR.glob("*/migrations") if p.is_dir())


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("version_path_separator", "os")
    cfg.set_main_option("version_locations",
                        os.pathsep.join(str(p) for p in version_locations()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revisions() -> set[str]:
    """The head of every service's branch."""
    return set(_script().get_heads())


def head_revision() -> str:
    """The heads as one stable string (what `nimbus manage db-upgrade` prints)."""
    return ",".join(sorted(head_revisions()))


def current_revision(engine: Engine) -> str | None:
    """The revisions the database records as applied heads, as one stable string."""
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def is_current(engine: Engine) -> bool:
    script = _script()
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    if not heads:
        return False
    applied = {r.revision for r in script.iterate_revisions(heads, "base")}
    return head_revisions() <= applied


def upgrade(engine: Engine) -> None:
    """Bring every branch to its head; a no-op when the schema is current."""
    if is_current(engine):
        return
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
