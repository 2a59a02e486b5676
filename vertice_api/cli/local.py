"""`login`, `logout` and `completion`: the client's own set-up, on this machine.

`login` checks the token with a request before saving anything; the token is
never printed. `completion` prints the shell script of click's completion
(`_VERTICE_COMPLETE`), to be sourced from the shell's start-up file.
"""

from __future__ import annotations

import click

from vertice_api.cli.connect import Failure, Target, checked_url, config_path, explain, write_config

SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.option(
    "--url",
    envvar="VERTICE_URL",
    metavar="URL",
    prompt="API URL",
    help="API base URL, e.g. http://127.0.0.1:8080 [env: VERTICE_URL].",
)
@click.option(
    "--token",
    envvar="VERTICE_TOKEN",
    metavar="TOKEN",
    prompt="Token",
    hide_input=True,
    help="Your API token (prompted for, unechoed, when not given) [env: VERTICE_TOKEN].",
)
def login(url: str, token: str) -> None:
    """Check a token against the API, then save it and the URL.

    The client commands use them when given no --url/--token (nor
    VERTICE_URL/VERTICE_TOKEN). They go to $XDG_CONFIG_HOME/vertice/config.json
    (~/.config by default), readable by you alone.
    """
    from vertice_api.client import ApiError, Client

    target = Target(checked_url(url.strip()), token.strip())
    try:
        with Client(target.url, target.token) as client:
            tokens = client.get("/v3/tokens")
    except ApiError as exc:
        reason = exc.description if exc.status == 401 else explain(exc)
        raise Failure(f"not logged in: {reason}") from None
    users = {str(t.get("user")) for t in tokens.get("items", []) if isinstance(t, dict)}
    who = f" as {users.pop()}" if len(users) == 1 else ""
    path = write_config(target)
    click.echo(f"logged in to {target.url}{who}; saved to {path}")


@click.command()
def logout() -> None:
    """Forget the URL and token `vertice login` saved."""
    path = config_path()
    if path.exists():
        path.unlink()
        click.echo(f"removed {path}")
    else:
        click.echo("not logged in")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script of SHELL (bash, zsh or fish).

    \b
    bash:  eval "$(vertice completion bash)"      (in ~/.bashrc)
    zsh:   eval "$(vertice completion zsh)"       (in ~/.zshrc)
    fish:  vertice completion fish > ~/.config/fish/completions/vertice.fish
    """
    from click.shell_completion import get_completion_class

    root = click.get_current_context().find_root().command
    completer = get_completion_class(shell)
    assert completer is not None  # every choice is a shell click knows
    click.echo(completer(root, {}, "vertice", "_VERTICE_COMPLETE").source())


COMMANDS = [login, logout, completion]
