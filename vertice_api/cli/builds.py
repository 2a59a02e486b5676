"""Build commands: `vertice build ASSEMBLY`, `vertice builds`, `get builds`, `describe build`,
`vertice logs build ID [--follow]` and `vertice cancel build ID`.

A build is named by its id (`bld-...`); `vertice builds ASSEMBLY` lists an
assembly's builds, newest first. Following a log reads it from the last offset
the API gave (`X-Next-Offset`) until the build is over.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import output
from vertice_api.cli.connect import Failure, client_command, open_client

if TYPE_CHECKING:
    from vertice_api.client import Client

#: The states a build ends in.
DONE = ("succeeded", "failed", "cancelled")
#: Seconds between two reads of a followed log.
FOLLOW_INTERVAL = 0.5


def table(items: Sequence[Mapping[str, Any]]) -> str:
    """Builds as a table: assembly, revision, state, ref and commit, builder, duration, image."""
    rows = [
        [
            b.get("assembly") or "(gone)",
            b.get("revision"),
            b.get("state") if not b.get("reason") else f"{b['state']} ({b['reason']})",
            b.get("ref") or "(default)",
            (b.get("commit") or "-")[:12],
            b.get("builder") or "-",
            "-" if b.get("duration") is None else f"{b['duration']:.1f}s",
            b.get("image") or "-",
            b.get("id"),
        ]
        for b in items
    ]
    headers = ["ASSEMBLY", "REV", "STATE", "REF", "COMMIT", "BUILDER", "TOOK", "IMAGE", "ID"]
    return output.table(headers, rows)


def describe_text(build: Mapping[str, Any]) -> str:
    """`describe build`: what was built, from where, by what, how it ended."""
    field = output.field
    ended = build.get("state", "")
    if build.get("reason"):
        ended = f"{ended}: {build['reason']}: {build.get('message', '')}"
    lines = [
        field("Build", build.get("id")),
        field("Assembly", f"{build.get('assembly') or '(gone)'}, revision {build.get('revision')}"),
        field("Project", build.get("project")),
        field("Source", f"{build.get('url')} {build.get('ref') or '(default branch)'}"
                        + (f" in {build['subdirectory']}" if build.get("subdirectory") else "")),
        field("Commit", build.get("commit") or "-"),
        field("Builder", build.get("builder") or build.get("recipe") or "-"),
        field("State", ended),
        field("Image", build.get("image") or "-"),
        field("Attempts", build.get("attempts")),
        field("Started", build.get("started_at") or "-"),
        field("Finished", build.get("finished_at") or "-"),
        field("Took", "-" if build.get("duration") is None else f"{build['duration']:.1f}s"),
        field("Log", f"{build.get('log_size')} characters (vertice logs build {build.get('id')})"),
    ]  # fmt: skip
    return "\n".join(line.rstrip() for line in lines)


def follow(client: Client, build_id: str, *, keep_on: bool) -> str:
    """Print the build's log; with `keep_on`, until the build is over. Its last state."""
    offset = 0
    while True:
        response = client.request("GET", f"/v3/builds/{build_id}/log",
                                  params={"offset": offset})  # fmt: skip
        if response.text:
            click.echo(response.text, nl=False)
        offset = int(response.headers.get("X-Next-Offset", offset))
        state = str(response.headers.get("X-Build-State", ""))
        if not keep_on or (state in DONE and not response.text):
            return state
        if not response.text:
            time.sleep(FOLLOW_INTERVAL)


def _check(build_id: str) -> str:
    if not build_id.startswith("bld-"):
        raise Failure(f"{build_id!r} is not a build id (bld-...; vertice builds lists them)")
    return build_id


@click.command("build")
@click.argument("assembly")
@click.option("--ref", help="A branch, tag or commit (default: the one the source declares).")
@click.option("--follow", "-f", "keep_on", is_flag=True, help="Print the log until it ends.")
@client_command
def build(assembly: str, ref: str | None, keep_on: bool) -> None:
    """Build an assembly's source again (or another ref); its instances are replaced one at
    a time once the build succeeds."""
    _build(assembly, ref, keep_on)


def _build(assembly: str, ref: str | None, keep_on: bool) -> None:
    """Request a build (and follow its log with `keep_on`); fail unless it succeeds then."""
    body: dict[str, Any] = {"assembly": assembly}
    if ref is not None:
        body["ref"] = ref
    with open_client(click.get_current_context()) as client:
        made = client.post("/v3/builds", body)
        click.echo(f"build {made['id']}: revision {made['revision']} of {assembly} queued")
        if keep_on:
            state = follow(client, made["id"], keep_on=True)
            if state != "succeeded":
                raise Failure(f"build {made['id']} {state}")


@click.command("deploy")
@click.argument("assembly")
@click.option("--ref", required=True, help="The branch, tag or commit to build and roll out.")
@click.option("--follow", "-f", "keep_on", is_flag=True, help="Print the log until it ends.")
@client_command
def deploy(assembly: str, ref: str, keep_on: bool) -> None:
    """Build REF of an assembly's source and roll it out (what `build --ref` does)."""
    _build(assembly, ref, keep_on)


@click.command("rollback")
@click.argument("assembly")
@click.option("--to", "revision", type=int, help="The revision to run again (default: the "
              "newest successful one before the current release).")  # fmt: skip
@client_command
def rollback(assembly: str, revision: int | None) -> None:
    """Run an earlier successful build's image again, one instance at a time (no rebuild)."""
    from vertice_api.cli.assemblies import Directory

    with open_client(click.get_current_context()) as client:
        document, _etag = Directory(client).find(assembly)
        body = {} if revision is None else {"revision": revision}
        target = client.post(f"{document['uri']}/rollback", body)
    click.echo(f"{assembly}: rolling back to revision {target['revision']} "
               f"({target['image']}, commit {target['commit'][:12]})")  # fmt: skip


@click.command("webhook")
@click.argument("assembly")
@click.option("--show", is_flag=True, help="Show the webhook (never its secret).")
@click.option("--delete", "remove", is_flag=True, help="Remove the webhook.")
@client_command
def webhook(assembly: str, show: bool, remove: bool) -> None:
    """Make (or rotate) an assembly's push webhook and print its URL and secret, once: give
    both to GitHub, GitLab or Gitea. A push to the branch the source follows then builds
    and rolls out that commit."""
    from vertice_api.cli.assemblies import Directory

    with open_client(click.get_current_context()) as client:
        document, _etag = Directory(client).find(assembly)
        path = f"{document['uri']}/webhook"
        if remove:
            client.delete(path)
            click.echo(f"{assembly}: webhook removed")
            return
        hook = client.get(path) if show else client.post(path, {})
        url = f"{client.url}{hook['url']}"
    click.echo(output.field("URL", url))
    if "secret" in hook:
        click.echo(output.field("Secret", hook["secret"]))
        click.echo("(the secret is shown only now; `vertice webhook NAME` again makes a new one)")
    else:
        click.echo(output.field("Deliveries", hook["deliveries"]))
        click.echo(output.field("Last", hook["last_result"] or "-"))


@click.command("builds")
@click.argument("assembly", required=False)
@output.output_option
@client_command
def builds(assembly: str | None, fmt: str) -> None:
    """List your newest builds (of one assembly when named)."""
    with open_client(click.get_current_context()) as client:
        params = {"assembly": assembly} if assembly else {}
        items = client.get("/v3/builds", **params)["items"]
    if fmt != "table":
        click.echo(output.dump(items, fmt))
    elif items:
        click.echo(table(items))
    else:
        click.echo("no builds", err=True)


@click.command("builds")
@click.argument("build_id", metavar="ID")
@client_command
def describe_build(build_id: str) -> None:
    """Show a build: source, commit, builder, how it ended, the image it made."""
    with open_client(click.get_current_context()) as client:
        click.echo(describe_text(client.get(f"/v3/builds/{_check(build_id)}")))


@click.group("logs")
def logs() -> None:
    """Print logs (`vertice logs build ID [--follow]`)."""


@logs.command("build")
@click.argument("build_id", metavar="ID")
@click.option("--follow", "-f", "keep_on", is_flag=True, help="Keep printing until it ends.")
@client_command
def logs_build(build_id: str, keep_on: bool) -> None:
    """Print a build's log (with --follow, as it is written, until the build is over)."""
    with open_client(click.get_current_context(), timeout=60.0) as client:
        follow(client, _check(build_id), keep_on=keep_on)


@click.group("cancel")
def cancel() -> None:
    """Cancel work in progress (`vertice cancel build ID`)."""


@cancel.command("build")
@click.argument("build_id", metavar="ID")
@client_command
def cancel_build(build_id: str) -> None:
    """Cancel a queued build, or stop a running one (what ran before keeps running)."""
    with open_client(click.get_current_context()) as client:
        found = client.post(f"/v3/builds/{_check(build_id)}/cancel", {})
    click.echo(f"build {found['id']}: {found['state']}"
               + ("" if found["state"] == "cancelled" else " (stopping)"))  # fmt: skip


COMMANDS = [build, deploy, rollback, webhook, builds, logs, cancel]
