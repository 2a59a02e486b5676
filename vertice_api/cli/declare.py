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

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import click

from vertice_api.cli import kinds, routes, scalers
from vertice_api.cli.assemblies import Directory, Document, NoSuchAssembly
from vertice_api.cli.assemblies import apply as apply_assembly
from vertice_api.cli.connect import Failure, explain
from vertice_api.cli.manifests import ORDER, Manifest, redact, substituted
from vertice_api.cli.wait import Tracked, wait_for

if TYPE_CHECKING:
    from vertice_api.client import Client

#: The kinds whose items the API replaces whole (PUT to the item's URI).
REPLACEABLE = ("plans", "regions", "flavors")
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


def find(client: Client, directory: Directory, kind: kinds.Kind, ref: str,
         project: str | None) -> Document | None:  # fmt: skip
    """The item of `kind` named `ref` (in `project`), or None when there is none."""
    from vertice_api.client import ApiError

    if kind is kinds.ASSEMBLIES:
        try:
            return directory.find(ref, project)[0]
        except NoSuchAssembly:
            return None
    if kind.find is not None:  # routes and scalers: by a field of the listing
        return next((dict(i) for i in client.items(kind.collection) if i.get(kind.key) == ref),
                    None)  # fmt: skip
    try:
        found: Document = client.get(kind.item.format(ref=quote(ref, safe="")),
                                     **kind.params(kinds.Query(project)))  # fmt: skip
    except ApiError as exc:
        if exc.status != 404:
            raise
        return None
    return found


def differences(kind: kinds.Kind, current: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """The fields the file says otherwise than the API holds. Only what the file names is
    compared (the API fills in defaults). A region's credentials are never read back, so
    they cannot be compared: a file that gives them always sends them (a rotated secret
    is applied, never reported `unchanged`)."""
    if kind.name == "plans":
        body = {k: v for k, v in as_stored_plan(body).items() if k in current}
    unreadable = {"credentials"} if kind.name == "regions" else set()
    return [k for k, v in body.items() if k in unreadable or not covers(current.get(k), v)]


def as_stored_plan(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """A plan file as the API stores it (its other spellings, such as tags as a `"[a, b]"`
    string, made the API's; defaults filled in), read with the API's own converter; the
    file as it is when the API would refuse it (its PUT then says why)."""
    from vertice_core.convert import make_converter, structure, unstructure
    from vertice_core.errors import InvalidInput
    from vertice_core.model.camp import Plan

    converter = make_converter()
    given = dict(body)
    if isinstance(given.get("camp_version"), float):  # YAML reads `1.2` as a number
        given["camp_version"] = str(given["camp_version"])
    try:
        stored: Mapping[str, Any] = unstructure(converter, structure(converter, given, Plan))
    except InvalidInput:
        return body
    return stored


def covers(stored: Any, declared: Any) -> bool:
    """Whether `stored` says what `declared` says: objects on the keys declared, lists item
    by item."""
    if isinstance(declared, Mapping):
        return isinstance(stored, Mapping) and all(
            covers(stored.get(k), v) for k, v in declared.items()
        )
    if isinstance(declared, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(declared)
            and all(covers(s, d) for s, d in zip(stored, declared, strict=True))
        )
    return bool(stored == declared)


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


def apply_one(client: Client, directory: Directory, manifest: Manifest, body: Document,
              outcome: Outcome) -> None:  # fmt: skip
    """Apply one document of a known kind, printing its line."""
    kind = manifest.kind
    if kind in (kinds.ASSEMBLIES, None):
        document, line = apply_assembly(client, directory, body)
        replicas = body.get("replicas")
        outcome.tracked.append(
            Tracked.of(document, replicas=replicas if type(replicas) is int else None)
        )
    elif kind.name in ("routes", "scalers"):
        _, line = (routes if kind.name == "routes" else scalers).apply(client, body)
    else:
        line = apply_item(client, directory, kind, body)
    click.echo(line)


def apply_all(client: Client, manifests: Sequence[Manifest], project: str | None) -> Outcome:
    """Apply every document in order, each on its own: a failure does not stop the others."""
    from vertice_api.client import ApiError

    directory = Directory(client)
    outcome = Outcome(len(manifests))
    for manifest in manifests:
        secrets: list[str] = []
        if manifest.kind is None:
            outcome.fail(manifest, unknown(manifest))
            continue
        try:
            body, secrets = substituted(manifest)
            body.pop("kind", None)
            if project and manifest.kind.name in IN_PROJECT and "project" not in body:
                body["project"] = project
            apply_one(client, directory, manifest, body, outcome)
        except (ApiError, Failure) as exc:
            outcome.fail(manifest, explain(exc) if isinstance(exc, ApiError) else exc.message,
                         secrets)  # fmt: skip
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
