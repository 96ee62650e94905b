"""The three database engines: migrations match the models, bootstrap and round trips work.

PostgreSQL and MariaDB are reached at NIMBUS_TEST_POSTGRES_URL / NIMBUS_TEST_MARIADB_URL
(defaults: the local servers). Each test gets a throwaway database, dropped afterwards.
Unreachable servers skip the test on a workstation and fail it in CI.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from sqlalchemy import Column, Integer, MetaData, Table, make_url, select

from nimbus.config import Settings
from nimbus.kernel.db import Base, Database, JSONText, UTCDateTime, make_engine
from nimbus.kernel.migrate import current_revision, head_revisions, is_current, upgrade
from nimbus.kernel.runtime import Runtime
from nimbus.services import load_models
from nimbus.setup import prepare
from tests.conftest import NIMBUS, TEST_ENV, free_port

pytestmark = pytest.mark.db

POSTGRES_URL = os.environ.get("NIMBUS_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
MARIADB_URL = os.environ.get("NIMBUS_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/")


def unreachable(what: str, error: Exception) -> NoReturn:
    message = f"{what} is not reachable: {error}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def throwaway_name() -> str:
    return f"nimbus_test_{uuid.uuid4().hex[:12]}"


@contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql")
    conninfo = admin_url.render_as_string(hide_password=False)
    name = throwaway_name()
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as e:
        unreachable("PostgreSQL", e)
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mariadb_connect() -> Any:
    import pymysql

    url = make_url(MARIADB_URL)
    return pymysql.connect(host=url.host or "127.0.0.1", port=url.port or 3306,
                           user=url.username or "root", password=url.password or "",
                           connect_timeout=5, autocommit=True)


def mariadb_execute(statement: str) -> None:
    conn = mariadb_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


@contextmanager
def mariadb_database() -> Iterator[str]:
    import pymysql

    name = throwaway_name()
    try:
        mariadb_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    except pymysql.err.OperationalError as e:
        unreachable("MariaDB", e)
    try:
        yield make_url(MARIADB_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        mariadb_execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nimbus.db'}"
    else:
        with (postgres_database() if request.param == "postgresql"
              else mariadb_database()) as url:
            yield url


def test_migrations_reach_head_and_match_the_models(database_url):
    load_models()
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second run is a no-op
        assert is_current(engine)
        assert set(current_revision(engine).split(",")) <= head_revisions()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            drift = compare_metadata(context, Base.metadata)
        assert drift == [], f"models and migrations disagree on {engine.dialect.name}: {drift}"
    finally:
        engine.dispose()


def test_timestamps_keep_microseconds_and_json_round_trips(database_url):
    probe = Table("kernel_db_probe", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", UTCDateTime), Column("doc", JSONText))
    db = Database(database_url)
    when = dt.datetime(2024, 2, 29, 23, 59, 58, 123456)
    doc = {"name": "ünïcødé ☁", "nested": [1, 2.5, None, True]}
    try:
        probe.create(db.engine)
        with db.session() as s:
            s.execute(probe.insert().values(id=1, at=when, doc=doc))
        with db.session() as s:
            row = s.execute(select(probe.c.at, probe.c.doc)).one()
        assert row.at == when
        assert row.doc == doc
    finally:
        probe.drop(db.engine, checkfirst=True)
        db.dispose()


def engine_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, bcrypt_cost=4)


def test_bootstrap_then_project_round_trip(database_url, tmp_path):
    from nimbus.services.identity.service import identity_of

    settings = engine_settings(tmp_path, database_url)
    assert prepare(settings).first_run is True
    assert prepare(settings).first_run is False  # idempotent on a second start
    runtime = Runtime(settings)
    try:
        resources = identity_of(runtime).resources
        made, _ = resources.create_project({"name": "round-trip", "domain_id": "default",
                                            "description": "ünïcødé", "tags": ["a", "b"],
                                            "extra": {"k": [1, 2]}})
        found, tags = resources.get_project(made.id)
        assert (found.name, found.domain_id, found.description) == \
            ("round-trip", "default", "ünïcødé")
        assert found.enabled is True and found.is_domain is False
        assert found.extra == {"k": [1, 2]}
        assert tags == ["a", "b"]
        assert [p.name for p, _ in resources.list_projects({"name": "admin"})] == ["admin"]
    finally:
        runtime.close()


def test_image_records_list_and_page_on_every_engine(database_url, tmp_path):
    """Images with properties and tags: shown, listed with filters, paged by marker, and
    their data stored, on each engine (the listing's SQL and the records' one-query read)."""
    from nimbus.services.image.options import ImageOptions
    from nimbus.services.image.schemas.image import parse_create
    from nimbus.services.image.service import ImageService
    from nimbus.services.image.service.listing import ListQuery
    from nimbus.services.image.service.quotas import no_limits
    from nimbus.services.image.service.records import Caller

    settings = engine_settings(tmp_path, database_url)
    settings.guest_image = str(tmp_path / "no-guest-image")  # the listings hold ours alone
    prepare(settings)
    runtime = Runtime(settings)
    try:
        service = ImageService(runtime, ImageOptions(), limits=no_limits)
        owner = Caller(project_id="p1", user_id="u1")
        made = [service.images.create(owner, parse_create(
            {"name": f"img-{n}", "disk_format": "raw", "container_format": "bare",
             "tags": ["b", "a"] if n % 2 else [], "colour": "blue" if n < 3 else "red"},
            service.options)) for n in range(5)]
        shown = service.images.get(owner, made[1].id)
        assert (shown.tags, shown.properties) == (["a", "b"], {"colour": "blue"})
        assert service.images.get(owner, made[0].id).tags == []

        everything, _ = service.list_images(owner, ListQuery(sort_keys=["name"],
                                                              sort_dirs=["asc"]))
        assert [i.name for i in everything] == [f"img-{n}" for n in range(5)]
        blue, _ = service.list_images(owner, ListQuery(filters={"colour": "blue"},
                                                       tags=["a"]))
        assert sorted(i.name for i in blue) == ["img-1"]
        first, marker = service.list_images(owner, ListQuery(limit=2, sort_keys=["name"],
                                                             sort_dirs=["desc"]))
        rest, _ = service.list_images(owner, ListQuery(limit=10, marker=marker,
                                                       sort_keys=["name"], sort_dirs=["desc"]))
        assert [i.name for i in first + rest] == [f"img-{n}" for n in reversed(range(5))]
        other, _ = service.list_images(Caller(project_id="p2"), ListQuery())
        assert other == []

        service.data.upload(owner, made[2].id, [b"x" * 3000, b"y" * 1096], None)
        stored = service.images.get(owner, made[2].id)
        assert (stored.status, stored.size) == ("active", 4096)
    finally:
        runtime.close()


def run_nimbus_up(data_dir: Path, *flags: str) -> tuple[subprocess.Popen[bytes], str]:
    """`nimbus up` with the given flags, once it answers; returns the process and its URL."""
    port = free_port()
    log = data_dir.parent / "nimbus-up.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*NIMBUS, "up", "--data-dir", str(data_dir), "--port", str(port),
                                 *flags], env={**os.environ, **TEST_ENV}, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/identity/v3", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"nimbus up did not come up:\n{log.read_text()}")


def test_nimbus_up_on_postgresql_issues_tokens(tmp_path):
    data_dir = tmp_path / "data"
    with postgres_database() as url:
        proc, public = run_nimbus_up(data_dir, "--database-url", url)
        try:
            password = yaml.safe_load((data_dir / "clouds.yaml").read_text())[
                "clouds"]["nimbus"]["auth"]["password"]
            auth = v3.Password(auth_url=f"{public}/identity", username="admin",
                               password=password, user_domain_id="default",
                               project_name="admin", project_domain_id="default")
            sess = ks_session.Session(auth=auth)
            assert sess.get_token()
            assert auth.get_access(sess).project_name == "admin"
            assert not (data_dir / "nimbus.db").exists()
            # Validation starts on the event loop and moves to a thread for the database.
            subject = v3.Password(auth_url=f"{public}/identity", username="admin",
                                  password=password, user_domain_id="default",
                                  project_name="admin", project_domain_id="default")
            token = ks_session.Session(auth=subject).get_token()
            tokens_url = f"{public}/identity/v3/auth/tokens"
            answer = sess.get(tokens_url, headers={"X-Subject-Token": token})
            assert answer.json()["token"]["project"]["name"] == "admin"
            sess.delete(tokens_url, headers={"X-Subject-Token": token})
            gone = sess.get(tokens_url, headers={"X-Subject-Token": token}, raise_exc=False)
            assert gone.status_code == 404
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def test_read_value_sees_every_commit_at_once(tmp_path):
    """The per-request reads (the identity generation) never see a stale snapshot."""
    from sqlalchemy import text

    db = Database(f"sqlite:///{tmp_path / 'values.db'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 1)"))
    sql = "SELECT value FROM counter WHERE id = 1"
    assert db.read_value(sql) == 1
    for value in (2, 3):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value})
        assert db.read_value(sql) == value
    assert db.read_value("SELECT value FROM counter WHERE id = 2") is None
    db.dispose()


def test_read_value_on_a_locked_database_waits_only_in_a_thread(tmp_path):
    """Off the event loop it waits for the lock; on the loop it asks for a thread."""
    import sqlite3
    import threading

    from nimbus.kernel.concurrency import NeedsThread, on_event_loop

    path = tmp_path / "locked.db"
    db = Database(f"sqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)")
    holder.execute("INSERT INTO counter VALUES (1, 7)")
    holder.execute("BEGIN EXCLUSIVE")
    sql = "SELECT value FROM counter WHERE id = 1"
    try:
        with on_event_loop(), pytest.raises(NeedsThread):
            db.read_value(sql)
        threading.Timer(0.3, holder.execute, ("COMMIT",)).start()
        assert db.read_value(sql) == 7
    finally:
        holder.close()
        db.dispose()
