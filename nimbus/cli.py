"""`nimbus up | serve | agent ... | manage ... | status`."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from typing import Any

import click

from nimbus.config import Settings, load_settings

PID_FILE = "nimbus.pid"


def _settings(data_dir: str | None, **flags: Any) -> Settings:
    overrides = {k: v for k, v in flags.items() if v is not None}
    return load_settings(data_dir, overrides)


def _export_flags(settings: Settings, **flags: Any) -> None:
    """Workers re-read settings from the environment: hand them the flags that way."""
    os.environ["NIMBUS_DATA_DIR"] = str(settings.data_dir)
    for key, value in flags.items():
        if value is not None:
            os.environ[f"NIMBUS_{key.upper()}"] = str(value)


def _take_lock(settings: Settings) -> Any:
    path = settings.data_dir / PID_FILE
    handle = open(path, "a+")  # noqa: SIM115 - held for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        handle.close()
        return pid
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n{settings.effective_public_url}\n")
    handle.flush()
    return handle


@click.group()
def main() -> None:
    """Nimbus: an OpenStack-compatible cloud."""


server_options = [
    click.option("--data-dir", default=None, help="Where state lives (~/.local/share/nimbus)."),
    click.option("--host", default=None, help="Address to listen on (127.0.0.1)."),
    click.option("--port", type=int, default=None, help="Port to listen on (5000)."),
    click.option("--workers", type=int, default=None, help="API worker processes (1)."),
    click.option("--database-url", default=None, help="SQLAlchemy URL (SQLite in the data dir)."),
]


def with_server_options(fn: Any) -> Any:
    for option in reversed(server_options):
        fn = option(fn)
    return fn


@main.command()
@with_server_options
def up(data_dir: str | None, **flags: Any) -> None:
    """Start the all-in-one cloud in the foreground (Ctrl-C stops it)."""
    from nimbus.setup import prepare

    started = time.monotonic()
    settings = _settings(data_dir, **flags)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = _take_lock(settings)
    if isinstance(lock, str):
        click.echo(f"Nimbus is already running on {settings.data_dir} (pid {lock}).")
        return
    result = prepare(settings)
    clouds = settings.data_dir / "clouds.yaml"
    if result.first_run:
        click.echo(f"Created a new cloud in {settings.data_dir}.")
    click.echo(f"Nimbus is starting at {settings.effective_public_url} "
               f"(prepared in {time.monotonic() - started:.2f}s). To use it:\n"
               f"  export OS_CLIENT_CONFIG_FILE={clouds} OS_CLOUD=nimbus\n"
               f"  openstack token issue")
    _export_flags(settings, **flags)
    _serve(settings, host_agent=True)


@main.command()
@click.argument("role", default="all", type=click.Choice(["all", "api"]))
@with_server_options
def serve(role: str, data_dir: str | None, **flags: Any) -> None:
    """Serve the APIs of an already prepared data dir / database (scale-out API node).
    "all" also runs the network agent of this host, as `nimbus up` does; "api" leaves that
    to `nimbus agent network`."""
    settings = _settings(data_dir, **flags)
    _export_flags(settings, **flags)
    if role == "api" and not settings.network.bus_url:
        # The agents run as processes of their own: without a broker they meet this API on
        # the data dir's file bus (where `nimbus agent network` looks), not an in-process one.
        from nimbus.kernel.bus import bus_url_for

        os.environ["NIMBUS_NETWORK__BUS_URL"] = bus_url_for(settings, shared=True)
    _serve(settings, host_agent=role == "all")


def _serve(settings: Settings, host_agent: bool) -> None:
    import uvicorn

    from nimbus.server import HOST_AGENT_ENV, configure_logging

    configure_logging(settings.log_level)
    options: dict[str, Any] = {"factory": True, "host": settings.host, "port": settings.port,
                               "log_level": "warning", "access_log": False,
                               "timeout_graceful_shutdown": 5}
    os.environ.pop(HOST_AGENT_ENV, None)
    if settings.workers > 1:
        _serve_workers(settings, uvicorn.Config("nimbus.server:app_factory",
                                                workers=settings.workers, **options),
                       host_agent)
        return
    if host_agent:
        os.environ[HOST_AGENT_ENV] = "1"  # the one worker runs it beside the API
    uvicorn.run("nimbus.server:app_factory", **options)


def _serve_workers(settings: Settings, config: Any, host_agent: bool) -> None:
    """Several workers: the supervisor hosts the one network agent (threads beside uvicorn's
    supervisor loop, on the file bus or bus_url), so it neither dies with a worker nor runs
    once a worker, and costs no interpreter of its own."""
    from nimbus.supervisor import serve_workers

    agent = compute_agent = None
    if host_agent:
        from nimbus.agents.compute.agent import start_agent as start_compute
        from nimbus.agents.network.agent import start_agent

        agent = start_agent(settings)
        compute_agent = start_compute(settings)
    try:
        serve_workers(config)
    finally:
        for running in (compute_agent, agent):
            if running is not None:
                running.stop()
        from nimbus.kernel.bus import close_process_bus

        close_process_bus()


@main.group()
def agent() -> None:
    """Agents that run on a host and touch it (the scale-out shape)."""


@agent.command("network")
@click.option("--host", "host_name", default=None,
              help="This host's name (binding:host_id); the machine's hostname by default.")
@click.option("--data-dir", default=None,
              help="Where the agent keeps its files (~/.local/share/nimbus).")
@click.option("--bus-url", default=None,
              help="amqp://user:pass@host:5672// or file:///dir (default: [network] bus_url, "
                   "else the data dir's file bus).")
@click.option("--driver", default=None,
              type=click.Choice(["auto", "linuxbridge", "fake"]),
              help="The host driver ([network] driver: auto).")
def agent_network(host_name: str | None, data_dir: str | None, bus_url: str | None,
                  driver: str | None) -> None:
    """Run the network agent of this host until SIGTERM."""
    from nimbus.agents.network.agent import run_until_signalled
    from nimbus.server import configure_logging

    network = {k: v for k, v in {"host": host_name, "bus_url": bus_url,
                                 "driver": driver}.items() if v is not None}
    settings = load_settings(data_dir, {"network": network} if network else None)
    configure_logging(settings.log_level)
    sys.exit(run_until_signalled(settings))


@agent.command("compute")
@click.option("--host", "host_name", default=None,
              help="This host's name (OS-EXT-SRV-ATTR:host); the machine's hostname by default.")
@click.option("--data-dir", default=None,
              help="Where the agent keeps its files (~/.local/share/nimbus).")
@click.option("--bus-url", default=None,
              help="amqp://user:pass@host:5672// or file:///dir (default: [network] bus_url, "
                   "else the data dir's file bus).")
@click.option("--driver", default=None, type=click.Choice(["auto", "qemu", "fake"]),
              help="The hypervisor driver ([compute] driver: auto).")
def agent_compute(host_name: str | None, data_dir: str | None, bus_url: str | None,
                  driver: str | None) -> None:
    """Run the compute agent of this host until SIGTERM (its guests keep running after)."""
    from nimbus.agents.compute.agent import run_until_signalled
    from nimbus.server import configure_logging

    compute = {k: v for k, v in {"host": host_name, "driver": driver}.items()
               if v is not None}
    overrides: dict[str, dict[str, str]] = {}
    if compute:
        overrides["compute"] = compute
    if bus_url is not None:
        overrides["network"] = {"bus_url": bus_url}
    settings = load_settings(data_dir, overrides or None)
    configure_logging(settings.log_level)
    sys.exit(run_until_signalled(settings))


@main.group()
def manage() -> None:
    """Maintenance commands."""


@manage.command("db-upgrade")
@click.option("--data-dir", default=None)
@click.option("--database-url", default=None)
def db_upgrade(data_dir: str | None, database_url: str | None) -> None:
    """Migrate the database to the newest schema."""
    from nimbus.kernel.db import Database
    from nimbus.kernel.migrate import head_revision, is_current, upgrade

    settings = _settings(data_dir, database_url=database_url)
    db = Database(settings.effective_database_url)
    upgrade(db.engine)
    state = "at" if is_current(db.engine) else "NOT at"
    click.echo(f"Database {state} revision {head_revision()} (every service's head).")


@manage.command("bootstrap")
@with_server_options
def bootstrap_command(data_dir: str | None, **flags: Any) -> None:
    """Prepare a data dir and its database as `nimbus up` does on its first start (config,
    keys, schema, the admin user and catalog, clouds.yaml, the image and `public` network),
    without serving: what a scale-out API node (`nimbus serve api`) needs first."""
    from nimbus.setup import prepare

    settings = _settings(data_dir, **flags)
    result = prepare(settings)
    state = "Prepared a new cloud" if result.first_run else "Cloud already prepared"
    click.echo(f"{state} in {settings.data_dir} (clouds.yaml: {result.clouds_yaml}).")


@manage.command("fernet-rotate")
@click.option("--data-dir", default=None)
def fernet_rotate(data_dir: str | None) -> None:
    """Rotate the token keys: tokens issued with older keys stay valid until they expire."""
    from nimbus.kernel.keys import KeyRepository

    settings = _settings(data_dir)
    repo = KeyRepository(settings.fernet_key_dir, settings.fernet_max_active_keys)
    primary = repo.rotate()
    click.echo(f"Rotated: key {primary} is now primary in {settings.fernet_key_dir}.")


@manage.group("object-ring", invoke_without_command=True)
@click.option("--data-dir", default=None)
@click.pass_context
def object_ring(ctx: click.Context, data_dir: str | None) -> None:
    """Show the object store's ring (made from [object] settings on first use), or change
    it as swift-ring-builder does; changes take effect when the cloud restarts."""
    from nimbus.services.object.ring import load_ring, ring_file

    settings = ctx.obj = _settings(data_dir)
    if ctx.invoked_subcommand is None:
        click.echo(f"{ring_file(settings)}: {load_ring(settings).describe()}")


def _change_ring(settings: Settings, change: Any) -> None:
    from nimbus.services.object.ring import load_ring, save_ring
    from nimbus.services.object.ringbuilder import RingError

    try:
        ring, message = change(load_ring(settings))
    except RingError as err:
        raise click.ClickException(str(err)) from err
    save_ring(settings, ring)
    click.echo(f"{message}\n{ring.describe()}")


@object_ring.command("add-device")
@click.argument("path")
@click.option("--weight", type=float, default=1.0)
@click.option("--zone", type=int, default=0)
@click.pass_obj
def ring_add_device(settings: Settings, path: str, weight: float, zone: int) -> None:
    """Add a device directory (rebalance to give it partitions)."""
    from nimbus.services.object.ringbuilder import add_device

    _change_ring(settings, lambda r: (add_device(r, path, weight, zone), f"Added {path}."))


@object_ring.command("remove-device")
@click.argument("device_id", type=int)
@click.pass_obj
def ring_remove_device(settings: Settings, device_id: int) -> None:
    """Drain a device (weight 0), or remove a drained one that holds no partitions."""
    from nimbus.services.object.ringbuilder import remove_device

    def change(ring: Any) -> tuple[Any, str]:
        ring, what = remove_device(ring, device_id)
        return ring, f"Device {device_id} {what}."
    _change_ring(settings, change)


@object_ring.command("set-replicas")
@click.argument("replicas", type=int)
@click.pass_obj
def ring_set_replicas(settings: Settings, replicas: int) -> None:
    """Set the replica count (rebalance to place the new replicas)."""
    from nimbus.services.object.ringbuilder import set_replicas

    _change_ring(settings, lambda r: (set_replicas(r, replicas), f"{replicas} replica(s)."))


@object_ring.command("rebalance")
@click.pass_obj
def ring_rebalance(settings: Settings) -> None:
    """Reassign partitions with the least movement."""
    from nimbus.services.object.ringbuilder import rebalance

    def change(ring: Any) -> tuple[Any, str]:
        ring, moved = rebalance(ring)
        return ring, f"Rebalanced: {moved} partition replica(s) moved."
    _change_ring(settings, change)


@manage.command("object-replicate")
@click.option("--data-dir", default=None)
@click.option("--once", is_flag=True, default=True, help="One pass (the default).")
def object_replicate(data_dir: str | None, once: bool) -> None:
    """One auditor/replicator pass over every device: quarantine corrupt copies, copy the
    newest version to the replicas that lack it, repair listing rows."""
    from nimbus.services.object.service import ObjectService
    from nimbus.services.object.store.replicator import Replicator

    replicator = Replicator(ObjectService(_settings(data_dir)))
    replicator.run_once()
    report = replicator.last
    if report is None:
        raise click.ClickException("another replicator pass is running")
    for line in report.quarantined:
        click.echo(f"quarantined {line}")
    for line in report.copied:
        click.echo(f"copied {line}")
    for line in report.relisted:
        click.echo(f"relisted {line}")
    click.echo(f"Object replication pass: {report.summary()}.")


@manage.command("network-teardown")
@click.option("--data-dir", default=None)
@click.option("--state-dir", default=None,
              help="One agent's files (default: every DATA_DIR/network-agent/<host>).")
def network_teardown(data_dir: str | None, state_dir: str | None) -> None:
    """Remove every bridge, namespace, process and nftables table the network agent made
    (stop Nimbus first, or its agent makes them again)."""
    from pathlib import Path

    from nimbus.agents.network.teardown import agent_state_dirs, teardown_host

    settings = _settings(data_dir)
    dirs = [Path(state_dir)] if state_dir else agent_state_dirs(settings.data_dir)
    changes: list[str] = []
    for where in dirs:
        changes += teardown_host(where, settings.network.host_netns or None)
    if not dirs:
        # No agent files: still clear the host netns' own devices and nimbus* tables.
        changes += teardown_host(settings.data_dir / "network-agent",
                                 settings.network.host_netns or None)
    for line in changes:
        click.echo(line)
    click.echo(f"Network teardown done: {len(changes)} removed.")


@main.command()
@click.option("--data-dir", default=None)
def status(data_dir: str | None) -> None:
    """Say whether Nimbus runs on this data dir, and where."""
    import httpx

    settings = _settings(data_dir)
    pid_file = settings.data_dir / PID_FILE
    url = settings.effective_public_url
    if pid_file.exists():
        lines = pid_file.read_text().split()
        url = lines[1] if len(lines) > 1 else url
    try:
        answer = httpx.get(f"{url}/identity/v3", timeout=3)
        ok = answer.status_code == 200
    except httpx.HTTPError:
        ok = False
    if ok:
        click.echo(f"Nimbus is running at {url} (data dir {settings.data_dir}).")
        return
    click.echo(f"Nimbus is not running at {url} (data dir {settings.data_dir}).")
    sys.exit(3)


if __name__ == "__main__":
    main()


