"""Where the client commands send their requests, and how their failures are shown.

The API's URL and token come from `--url`/`--token`, else `VERTICE_URL`/
`VERTICE_TOKEN`, else the config file `vertice login` wrote
(`$XDG_CONFIG_HOME/vertice/config.json`, mode 0600). The saved token is only
sent to the URL it was saved with. Failures become `Failure`: one `error:`
line (and, for a 422, one line per wrong field), never a traceback.

Only click and the standard library are imported here, so `vertice --help`
stays fast; the HTTP client is imported when a command runs.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import click

if TYPE_CHECKING:
    from vertice_api.client import ApiError, Client

F = TypeVar("F", bound=Callable[..., Any])

#: Exit codes besides 0: a failure (API error, FAILED phase), and a wait that timed out.
EXIT_FAILED = 1
EXIT_TIMEOUT = 3


class Failure(click.ClickException):
    """A failure shown as `error: ...` (its first line) without a traceback."""

    def show(self, file: Any = None) -> None:
        """Print the message on standard error, each unindented line prefixed with `error:`."""
        for line in self.message.splitlines():
            click.echo(line if line[:1].isspace() else f"error: {line}", err=True)


class TimedOut(Failure):
    """A wait that ran out of time (exit code 3: the change may still converge)."""

    exit_code = EXIT_TIMEOUT


@dataclass(frozen=True)
class Target:
    """An API to talk to: its base URL and the caller's token."""

    url: str
    token: str


def config_path() -> Path:
    """The config file `vertice login` writes (`$XDG_CONFIG_HOME/vertice/config.json`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vertice" / "config.json"


def read_config() -> dict[str, str]:
    """The saved URL and token (empty when nobody logged in)."""
    path = config_path()
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise Failure(f"cannot read {path} ({exc}); run `vertice login` again") from None
    if not isinstance(saved, dict):
        raise Failure(f"{path} is not a vertice config file; run `vertice login` again")
    return {k: v for k, v in saved.items() if k in ("url", "token") and isinstance(v, str)}


def write_config(target: Target) -> Path:
    """Save `target` (mode 0600, replaced atomically); the path written."""
    path = config_path()
    import tempfile

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".json")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w") as out:
            json.dump({"url": target.url, "token": target.token}, out, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def checked_url(url: str) -> str:
    """`url` without a trailing slash, if it is an http(s) URL."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError as exc:
        raise Failure(f"the API URL {url!r} is not valid ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Failure(f"the API URL must be http://HOST[:PORT] or https://..., not {url!r}")
    return url.rstrip("/")


def resolve(ctx: click.Context) -> Target:
    """The API of this command: options, else environment, else the config file."""
    url = ctx.meta.get("vertice.url")
    token = ctx.meta.get("vertice.token")
    if not url or not token:
        saved = read_config()
        saved_url = checked_url(saved["url"]) if saved.get("url") else None
        url = url or saved_url
        # The saved token goes only to the URL it was saved for, never to another server.
        if not token and url and saved_url and checked_url(url) == saved_url:
            token = saved.get("token")
    if not url:
        raise Failure("no API URL: pass --url, set VERTICE_URL, or run `vertice login`")
    if not token:
        raise Failure(
            f"no token for {url}: pass --token, set VERTICE_TOKEN, or run `vertice login`"
        )
    return Target(checked_url(url), token)


def open_client(ctx: click.Context, timeout: float = 30.0) -> Client:
    """An HTTP client of the command's API."""
    from vertice_api.client import Client

    target = resolve(ctx)
    return Client(target.url, target.token, timeout=timeout)


def find_item(
    client: Client, path: str, ref: str, keys: tuple[str, ...], missing: str
) -> dict[str, Any]:
    """The item of the collection at `path` whose `keys` hold `ref`; `missing` as a failure."""
    for item in client.items(path):
        if ref in (item.get(key) for key in keys):
            return dict(item)
    raise Failure(missing)


def list_items(path: str, fmt: str, table: Callable[[list[Any]], str], noun: str) -> None:
    """Print the whole collection at `path`: a table, or JSON/YAML (`fmt`); `no NOUN` if empty."""
    from vertice_api.cli import output

    with open_client(click.get_current_context()) as client:
        items = list(client.items(path))
    if fmt != "table":
        click.echo(output.dump(items, fmt))
    elif items:
        click.echo(table(items))
    else:
        click.echo(f"no {noun}", err=True)


def explain(exc: ApiError) -> str:
    """One line for an API error; a 422's names the path of every wrong field."""
    if exc.status == 0:
        return exc.description
    if exc.status == 401:
        return f"{exc.description or exc.title} (check --token, VERTICE_TOKEN or `vertice login`)"
    title = exc.title.removeprefix(f"{exc.status} ")
    line = f"{exc.status} {title}"
    if exc.description and exc.description not in (exc.title, title):
        line += f": {exc.description}"
    elif exc.status == 404:  # no route: not the API's base URL
        line += " (is the URL the base URL of a vertice API?)"
    problems = "; ".join(f"{path}: {message}" for path, message in exc.problems)
    if problems and problems != exc.description:
        line += f" ({problems})"
    return line


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        ctx.meta[f"vertice.{param.name}"] = value
    return value


def connection_options(func: F) -> F:
    """`--url` and `--token`, kept in the context for `resolve`."""
    func = click.option(
        "--token",
        envvar="VERTICE_TOKEN",
        metavar="TOKEN",
        expose_value=False,
        callback=_remember,
        help="API token [env: VERTICE_TOKEN; default: the one saved by `vertice login`].",
    )(func)
    return click.option(
        "--url",
        envvar="VERTICE_URL",
        metavar="URL",
        expose_value=False,
        callback=_remember,
        help="API base URL, e.g. http://127.0.0.1:8080 [env: VERTICE_URL; default: saved].",
    )(func)


def client_command(func: F) -> F:
    """Add the connection options and turn API errors into one-line failures."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        """The command, with its API errors as `Failure`."""
        from vertice_api.client import ApiError

        try:
            return func(*args, **kwargs)
        except ApiError as exc:
            raise Failure(explain(exc)) from None
        except KeyboardInterrupt:
            # Changes are desired state: what was asked before Ctrl-C stays asked.
            click.echo("interrupted", err=True)
            sys.exit(130)

    return connection_options(run)  # type: ignore[return-value]


@contextmanager
def until_interrupted() -> Iterator[threading.Event]:
    """An event set by Ctrl-C (SIGINT) while the block runs, for loops that poll until
    interrupted (`events --follow`, `get --watch`): `while not stop.wait(interval)`.

    Ctrl-C then ends the loop between two requests, never inside one: a
    KeyboardInterrupt raised in the middle of a request could leave the HTTP client's
    connection pool locked, and closing the client then waited forever (the process
    did not exit; found by the CLI tests that send SIGINT). A second Ctrl-C while a
    request is in flight interrupts it as before.
    """
    stop = threading.Event()

    def interrupted(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
