"""`--config PATH` (else `VERTICE_CONFIG`): the server commands' configuration file.

The option is eager: before any other option is read, the file's settings
become the defaults of the process's environment (a variable already set
wins), so the parsers (`Config.from_env`, the reconciler's, the notifiers'),
the options reading variables and the children `vertice serve` starts all see
them. A file that cannot be used, or a bad setting, stops the command with one
line naming the file's key (or the variable, when the environment gave it)
and status 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from vertice_core.config import Config

#: Where the option leaves the file's `Settings` (a context's `meta` is shared by its children).
META = "vertice.settings_file"
#: The exit status of a configuration that cannot be used (click's, for a bad option).
BAD_CONFIG = 2


def fail(message: str, status: int = 1) -> NoReturn:
    """Stop the command with `error: message` on stderr."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def _apply(ctx: click.Context, _param: click.Parameter, path: str | None) -> str | None:
    """Lay the environment over the file's settings (the option's callback)."""
    if not path:
        return None
    from vertice_core import settings_file  # with the reconciler's knobs: not for `--help`

    try:
        _merged, settings = settings_file.environ(path, os.environ)
    except settings_file.SettingsFileError as exc:
        fail(str(exc), BAD_CONFIG)
    os.environ.update({name: _merged[name] for name in settings.values})
    ctx.meta[META] = settings
    return path


#: The option, for the commands (and groups) that read the installation's settings.
CONFIG = click.option(
    "--config",
    metavar="PATH",
    envvar="VERTICE_CONFIG",
    expose_value=False,
    is_eager=True,
    callback=_apply,
    help="A TOML configuration file (docs/configuration.md); the environment overrides it "
    "[env: VERTICE_CONFIG].",
)


def explain(message: str) -> str:
    """A parser's `message`, naming the file's key where the setting came from the file."""
    context = click.get_current_context(silent=True)
    settings = context.meta.get(META) if context is not None else None
    return settings.explain(message) if settings is not None else message


def load() -> Config:
    """The installation's settings, every one of them checked (the reconciler's and the
    notifiers' too): a bad value stops the command with one line and status 2."""
    # Imported here, as the other settings are: `vertice --help` needs none of them.
    from vertice_core.config import Config
    from vertice_core.reconcile.settings import ReconcilerSettings
    from vertice_notify import settings as notifiers

    try:
        config = Config.from_env()
        ReconcilerSettings.from_env()
        notifiers.check(os.environ)
    except ValueError as exc:
        fail(explain(str(exc)), BAD_CONFIG)
    return config
