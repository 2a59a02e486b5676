"""Server-side commands: they work on the local installation's database directly.

What they change goes through the same service layer as the API's requests
(`vertice_core.service`), acting as the installation's operator.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli.adopt import adopt
from vertice_api.cli.configfile import CONFIG, fail, load
from vertice_api.cli.formats import OUTPUT
from vertice_core.logs import LOG_FORMATS, LOG_LEVELS

if TYPE_CHECKING:
    from vertice_core.config import Config


def _store(config: Config):  # type: ignore[no-untyped-def]
    from vertice_core.store import Store

    return Store(config.database_url)


@click.group()
@CONFIG
def db() -> None:
    """Database schema migrations."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Revision to upgrade to.")
def upgrade(revision: str) -> None:
    """Bring the database schema up to date (creates the SQLite file if needed)."""
    from vertice_core.errors import ConfigurationError
    from vertice_core.store import migrate

    config = load()
    try:
        store = _store(config)
        migrate.upgrade(store.engine, revision)
        click.echo(f"database at revision {migrate.current(store.engine)}")
    except ConfigurationError as exc:
        fail(exc.description)


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Take the schema down to REVISION (`base` removes every table)."""
    from vertice_core.store import migrate

    store = _store(load())
    migrate.downgrade(store.engine, revision)
    click.echo(f"database at revision {migrate.current(store.engine) or 'base'}")


@db.command()
def current() -> None:
    """Show the revision the database is at, and the newest one."""
    from vertice_core.store import migrate

    store = _store(load())
    click.echo(f"current: {migrate.current(store.engine) or 'none (empty database)'}")
    click.echo(f"head:    {migrate.head()}")


@db.command()
@click.option("--from", "start", required=True, help="The first hour: an ISO date or time (UTC).")
@click.option("--to", "end", default=None, help="Up to this time (default: now).")
def remeter(start: str, end: str | None) -> None:
    """Meter the usage of past hours again from the status history (after a flavor's
    price was corrected); the hours not metered yet are left to the reconciler."""
    import time

    from vertice_core.billing.controller import remeter as again

    first, last = _moment(start, "--from"), _moment(end, "--to") if end else time.time()
    if last <= first:
        fail("--to must be after --from")
    store = _store(load())
    click.echo(f"metered {again(store, first, last)} hour(s) again")


def _moment(text: str, option: str) -> float:
    """An ISO 8601 date or time as epoch seconds (UTC when it names no offset)."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be an ISO 8601 date or time such as 2026-11-01, not {text!r}")
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@click.command()
@CONFIG
def init() -> None:
    """Seed the built-ins and, on first start, create the admin user and print its token."""
    from vertice_core import builtins
    from vertice_core.convert import make_converter
    from vertice_core.service import accounts

    config = load()
    store = _store(config)
    for line in builtins.seed(store, make_converter()):
        click.echo(f"added {line}")
    with store.write() as session:
        created = accounts.first_admin(session)
    if created is None:
        click.echo("admin user exists (its token was shown when it was created)")
        return
    click.echo(f"created user {created.user.name!r} with project {created.project.name!r}")
    click.echo("its API token (shown only this once; keep it):")
    click.echo(created.token)


@click.group()
@CONFIG
def users() -> None:
    """Manage users of the local installation."""


@users.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
def users_create(name: str, admin: bool) -> None:
    """Create user NAME with a first project; print the new token alone on the last line."""
    from vertice_core.convert import make_converter, structure
    from vertice_core.errors import VerticeError
    from vertice_core.model.tenancy import UserRequest
    from vertice_core.service import Caller, accounts

    try:
        request = structure(make_converter(), {"name": name, "admin": admin}, UserRequest)
        with _store(load()).write() as session:
            created = accounts.create_user(session, Caller.operator(), request)
    except VerticeError as exc:
        fail(exc.description)
    click.echo(f"created user {name!r} with project {created.project.name!r}")
    click.echo(created.token)


@users.command("list")
@OUTPUT
def users_list(fmt: str) -> None:
    """List the users, as `vertice get users` does (read from the local database)."""
    from vertice_api.cli.kind_commands import show
    from vertice_api.cli.kinds import lookup
    from vertice_api.resources.tenancy import user_documents

    with _store(load()).read() as session:
        documents = user_documents(session)
    kind = lookup("users")
    assert kind is not None  # a kind of kinds.KINDS
    show(kind, documents, fmt)


@click.command()
def drivers() -> None:
    """List installed drivers, their version, capabilities and any load error."""
    from vertice_core.registry import DriverRegistry

    reports = DriverRegistry().report()
    if not reports:
        click.echo("no drivers installed")
        return
    for r in reports:
        state = f"ERROR: {r.error}" if r.error else "ok"
        caps = ", ".join(r.capabilities) or "-"
        click.echo(f"{r.cloud_type:<12} {r.distribution} {r.version:<10} {state}  [{caps}]")


#: `--migrate` on the commands that serve: bring the schema up to date before starting.
MIGRATE = click.option(
    "--migrate", is_flag=True, help="Upgrade the database schema first (`vertice db upgrade`)."
)


#: The logging options of the commands that serve (they override `[log]` and `VERTICE_LOG_*`).
LOG_OPTIONS = (
    click.option(
        "--log-level",
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
        default=None,
        help="Log from this level up [env: VERTICE_LOG_LEVEL; default: info].",
    ),
    click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS, case_sensitive=False),
        default=None,
        help="Text lines, or one JSON object a line [env: VERTICE_LOG_FORMAT; default: text].",
    ),
)


def _log_options(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with the `LOG_OPTIONS` (`vertice serve` and `vertice reconcile` take them)."""
    for option in reversed(LOG_OPTIONS):
        command = option(command)
    return command


@click.command()
@CONFIG
@click.option(
    "--bind",
    default=None,
    help="HOST:PORT to serve on [env: VERTICE_BIND; default: 127.0.0.1:8080].",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="gunicorn worker processes [env: VERTICE_WORKERS; default: 2].",
)
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="Log one line per request [env: VERTICE_ACCESS_LOG; default: off].",
)
@_log_options
@click.option(
    "--api-only", is_flag=True, help="Serve the API without a reconciler (run those apart)."
)
@MIGRATE
def serve(api_only: bool, migrate: bool, **given: Any) -> None:
    """Serve the API under gunicorn, with one reconciler beside it (restarted if it dies)."""
    from vertice_api import serve as server

    config = _with_flags(load(), given)
    _schema_ready(config, migrate)
    if not api_only:
        from vertice_core.reconcile import identity

        if identity.taken(config.home, server.serve_identity(config)):
            fail(f"another `vertice serve` runs for {config.home} (its reconciler holds "
                  f"identity {server.serve_identity(config)!r}): stop it first")  # fmt: skip
    _logging(config)
    if api_only:
        server.exec_api(config)
    sys.exit(server.run(config))


@click.command()
@CONFIG
@click.option(
    "--identity",
    default=None,
    help="Lease identity (default: host-pid-random). Must be unique among running reconcilers.",
)
@_log_options
@MIGRATE
def reconcile(identity: str | None, migrate: bool, **given: Any) -> None:
    """Run the reconcile loop until SIGTERM or Ctrl-C."""
    from vertice_core import metrics_folder
    from vertice_core.errors import ConfigurationError
    from vertice_core.reconcile.main import run

    config = _with_flags(load(), given)
    _schema_ready(config, migrate)
    _logging(config)
    # Before its metrics are made: they go where this home's API on this machine sums them.
    folder = metrics_folder.open_for_reconciler(config)
    try:
        run(config, holder=identity)
    except ConfigurationError as exc:
        fail(exc.description)
    finally:
        metrics_folder.close_for_reconciler(folder)


def _with_flags(config: Config, given: dict[str, Any]) -> Config:
    """`config` with the serving and logging settings the command's flags gave (they win
    over the environment and the configuration file)."""
    import attrs

    flags = {name: value for name, value in given.items() if value is not None}
    return attrs.evolve(config, server=attrs.evolve(config.server, **flags))


def _schema_ready(config: Config, migrate: bool) -> None:
    """Stop with one line saying what to run unless the database's schema is the one this
    vertice needs; with `migrate`, bring it there first."""
    from vertice_core.errors import ConfigurationError, Unavailable
    from vertice_core.store import schema

    try:
        store = _store(config)
        if migrate:
            # Only then: Alembic is 10 MB of every API worker's RSS (they fork from here).
            from vertice_core.store import migrate as migrations

            migrations.upgrade(store.engine)
        problem = schema.schema_problem(store.engine)
        store.dispose()
    except (ConfigurationError, Unavailable) as exc:
        fail(exc.description)
    except Exception as exc:  # the database cannot be read at all: say so in one line
        fail(f"cannot read the database's schema: {type(exc).__name__}: {exc}".splitlines()[0])
    if problem:
        fail(f"{problem} (or start with --migrate)")


def _logging(config: Config) -> None:
    """Log in the format and from the level the settings say (`vertice_core.logs`)."""
    from vertice_core import logs

    logs.configure(config.server.log_level, config.server.log_format)


COMMANDS = [db, init, users, drivers, serve, reconcile, adopt]
