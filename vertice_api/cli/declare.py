"""`apply -f` and `delete -f`: make the API hold what files declare, or remove it.

Assemblies, routes and scalers have their own `apply` (`assemblies`, `routes`,
`scalers`). The catalog and tenancy kinds (projects, regions, flavors, plans,
SSH keys) are applied here alike, as kubectl does: created when absent
(POST to the kind's collection), replaced (PUT to the item) when present and the
file says otherwise, else unchanged; one line each, `region/east created`. Kinds
the API cannot replace (SSH keys, projects) refuse a change instead. Every
document is tried; a failure is one line naming the document, and the exit is
non-zero once all were tried. URIs come from `kinds.KINDS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

import click

from vertice_api.cli import bulk, kinds, rehearse, routes, scalers
from vertice_api.cli.assemblies import (
    Directory,
    Document,
    NoSuchAssembly,
    fixed_differences,
    generated_lines,
)
from vertice_api.cli.assemblies import apply as apply_assembly
from vertice_api.cli.compare import REPLACEABLE, differences, find
from vertice_api.cli.connect import Failure, explain
from vertice_api.cli.manifests import ORDER, Manifest, redact, substituted
from vertice_api.cli.wait import Tracked, wait_for

if TYPE_CHECKING:
    from vertice_api.client import Client

#: The kinds a declaration may put in a project (`--project` fills it in where missing).
IN_PROJECT = ("sshkeys", "assemblies", "routes", "scalers")
#: How errors name the kinds files may declare.
KIND_WORDS = [kinds.BY_NAME[name].singular for name in ORDER]


class Outcome:
    """What the documents came to: the assemblies to wait for, and the failures' lines."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.tracked: list[Tracked] = []
        self.failed: list[str] = []
        #: Of a dry run: whether applying would change anything.
        self.differs = False

    def fail(self, manifest: Manifest, message: str, secrets: Sequence[str] = ()) -> None:
        """Count a document's failure, and print it as one line (`error: LABEL: MESSAGE`)
        when there are other documents (a lone one's is the command's error)."""
        self.failed.append(redact(f"{manifest.label()}: {message}", secrets))
        if self.total > 1:
            Failure(self.failed[-1]).show()

    def finish(self, verb: str) -> None:
        """Exit non-zero when a document failed."""
        if self.failed and self.total == 1:
            raise Failure(self.failed[0])
        if self.failed:
            raise Failure(f"{len(self.failed)} of {self.total} declarations {verb}")


def apply_item(client: Client, directory: Directory, kind: kinds.Kind, body: Document) -> str:
    """Create, replace or leave alone the item of a catalog or tenancy kind; its line."""
    ref = body.get(kind.key)
    if not isinstance(ref, str) or not ref:
        raise Failure(f"a {kind.singular} needs a {kind.key}")
    shown = f"{kind.singular}/{ref}"
    current = find(client, directory, kind, ref, body.get("project"))
    if current is None:
        client.post(kind.collection, body)
        return f"{shown} created"
    changed = differences(kind, current, body)
    if not changed:
        return f"{shown} unchanged"
    if kind.name not in REPLACEABLE:
        raise Failure(
            f"{', '.join(changed)} cannot change in place ({kind.name} are not replaced): "
            f"delete {shown} and apply again"
        )
    client.request("PUT", kind.item.format(ref=quote(ref, safe="")), body=body)
    return f"{shown} configured ({', '.join(changed)})"


@dataclass(frozen=True)
class Options:
    """How `apply` goes about it: for real, as a dry run, or as `diff`; with `--replace`."""

    dry_run: bool = False
    #: `diff -f`: a dry run that shows the fields that would change, and only what differs.
    diff: bool = False
    #: An assembly whose fixed fields change is deleted and declared anew.
    replace: bool = False
    #: How long `--replace` waits for the old assembly to be gone.
    timeout: float = 300.0


def apply_one(client: Client, directory: Directory, manifest: Manifest, body: Document,
              outcome: Outcome, options: Options = Options()) -> None:  # fmt: skip
    """Apply one document of a known kind, printing its line."""
    kind = manifest.kind
    if options.dry_run or options.diff:
        change = (
            rehearse.assembly(client, directory, body, replace=options.replace)
            if kind in (kinds.ASSEMBLIES, None)
            else rehearse.item(client, directory, kind, body)
        )
        outcome.differs = outcome.differs or change.differs
        if change.differs or not options.diff:
            change.show(diff=options.diff)
        return
    if kind in (kinds.ASSEMBLIES, None):
        replaced = replace_assembly(client, directory, body, options) if options.replace else None
        document, line = replaced or apply_assembly(client, directory, body)
        outcome.tracked.append(Tracked.declared(document, body))
    elif kind.name in ("routes", "scalers"):
        _, line = (routes if kind.name == "routes" else scalers).apply(client, body)
    else:
        line = apply_item(client, directory, kind, body)
    click.echo(line)


def replace_assembly(client: Client, directory: Directory, body: Document,
                     options: Options) -> tuple[Document, str] | None:  # fmt: skip
    """`--replace`: when the file changes what cannot change in place, show the plan, delete
    the assembly, wait until it is gone and declare it anew; None when nothing fixed changes
    (the usual apply follows)."""
    try:
        document, _ = directory.find(str(body.get("name")), body.get("project"))
    except NoSuchAssembly:
        return None
    if not fixed_differences(body, document):
        return None
    change = rehearse.replacement(client, document, body)
    click.echo(f"{document['name']}: replacing ({', '.join(f for f, _, _ in change.fields)})")
    for step in change.steps:
        click.echo(f"  {step.replace('would ', '', 1)}")
    client.delete(document["uri"])
    wait_for(client, [Tracked.of(document, "gone")], options.timeout)
    created = client.declare(body)
    return created, change.line + f" ({created.get('id')})" + generated_lines(created)


def apply_all(client: Client, manifests: Sequence[Manifest], project: str | None,
              options: Options = Options()) -> Outcome:  # fmt: skip
    """Apply every document in order, each on its own: a failure does not stop the others.
    Runs of assembly documents go in batches (`bulk`), unless the run is a dry run, a
    diff or a `--replace`, which look at each assembly first."""
    from vertice_api.client import ApiError

    directory = Directory(client)
    outcome = Outcome(len(manifests))
    batching = not (options.dry_run or options.diff or options.replace)
    run: list[bulk.Pending] = []

    def one(item: bulk.Pending) -> None:
        try:
            apply_one(client, directory, item.manifest, item.body, outcome, options)
        except (ApiError, Failure) as exc:
            outcome.fail(item.manifest, explain(exc) if isinstance(exc, ApiError)
                         else exc.message, item.secrets)  # fmt: skip

    def flush() -> None:
        if len(run) > 1:
            bulk.apply_assemblies(client, directory, run, outcome, one)
        else:
            for item in run:
                one(item)
        run.clear()

    for manifest in manifests:
        if manifest.kind is None:
            outcome.fail(manifest, unknown(manifest))
            continue
        try:
            body, secrets = substituted(manifest)
        except Failure as exc:
            outcome.fail(manifest, exc.message)
            continue
        body.pop("kind", None)
        if project and manifest.kind.name in IN_PROJECT and "project" not in body:
            body["project"] = project
        item = bulk.Pending(manifest, body, secrets)
        if batching and manifest.kind is kinds.ASSEMBLIES:
            run.append(item)
            continue
        flush()
        one(item)
    flush()
    return outcome


def unknown(manifest: Manifest) -> str:
    """Why a document of an unknown kind is refused."""
    return f"kind {manifest.declaration.get('kind')!r} is not one of {', '.join(KIND_WORDS)}"


def delete_all(client: Client, manifests: Sequence[Manifest], project: str | None,
               wait: bool, timeout: float) -> Outcome:  # fmt: skip
    """Delete what the documents declare, last kind first. Once the assemblies are asked to
    go, wait until they are gone before deleting what they use (the API refuses before), or
    at the end with `wait`. An item already gone is a line, not a failure."""
    from vertice_api.client import ApiError

    directory = Directory(client)
    outcome = Outcome(len(manifests))
    waited = False
    for manifest in reversed(manifests):
        kind = manifest.kind
        if kind is None:
            outcome.fail(manifest, unknown(manifest))
            continue
        if kind.name not in ("assemblies", "routes", "scalers") and not waited:
            waited = True
            if outcome.tracked:
                wait_for(client, outcome.tracked, timeout)
        try:
            ref = manifest.ref
            if ref is None:
                raise Failure(f"names no {kind.key}")
            where = manifest.declaration.get("project", project)
            current = find(client, directory, kind, ref, where if isinstance(where, str) else None)
            shown = ref if kind is kinds.ASSEMBLIES else f"{kind.singular}/{ref}"
            if current is None:
                click.echo(f"{shown} not found")
                continue
            answer = client.delete(current["uri"])
            if kind is kinds.ASSEMBLIES:
                outcome.tracked.append(Tracked.of(answer or current, "gone"))
                click.echo(f"{shown} delete requested")
            else:
                click.echo(f"{shown} {kind.deleted}")
        except (ApiError, Failure) as exc:
            outcome.fail(manifest, explain(exc) if isinstance(exc, ApiError) else exc.message)
    if wait and not waited and outcome.tracked:
        wait_for(client, outcome.tracked, timeout)
    return outcome
