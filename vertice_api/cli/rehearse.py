"""`apply --dry-run` and `diff -f`: what applying the files would change, changing nothing.

Each document comes to a `Change`: the line `apply` would print, the fields that
would change (before and after), and for assemblies what the reconciler's next
pass would then do, with why. For assemblies all of it is computed by the
server: the declaration or the patch is sent with `dry_run=true`, checked as
the real one would be, and answered with the plan of the next pass
(`GET /v3/assembly/{id}/plan` for one the file leaves unchanged, which may
still have work pending). The other kinds are compared with what the API
holds, as `apply` compares them.

`--replace` (an assembly whose plan, region, flavor... the file changes is
deleted and declared anew) is planned here too: `replacement` refuses what it
would break (routes or a scaler in front of the assembly) and says what goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli import kinds
from vertice_api.cli.assemblies import (
    Directory,
    Document,
    NoSuchAssembly,
    fixed_differences,
    patch_of,
    refuse_fixed,
)
from vertice_api.cli.compare import REPLACEABLE, differences, find
from vertice_api.cli.connect import Failure

if TYPE_CHECKING:
    from vertice_api.client import Client

DRY_RUN = {"dry_run": "true"}
#: What stands for a value the API never shows back (a region's credentials).
HIDDEN = "(not shown)"


@dataclass
class Change:
    """What applying one document would do."""

    line: str
    #: `(field, before, after)` of each field that would change.
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)
    #: What the next pass would do (`would create instance 3: ...`), of assemblies.
    steps: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        """Whether anything would change (or the reconciler has work pending)."""
        return not self.line.endswith(" unchanged") or bool(self.steps)

    def show(self, *, diff: bool) -> None:
        """Print it: `apply --dry-run`'s line and steps, or (`diff`) the fields too."""
        click.echo(self.line if diff else f"{self.line} (dry run)")
        if diff:
            for name, before, after in self.fields:
                click.echo(f"  {name}: {_shown(before)} -> {_shown(after)}")
        for step in self.steps:
            click.echo(f"  {step}")


def steps_of(plan: Mapping[str, Any]) -> list[str]:
    """A plan's steps in words, and why the pass would wait, if it would."""
    lines = []
    for step in plan.get("steps") or ():
        ordinal = step.get("ordinal", -1)
        what = f"instance {ordinal}" if ordinal >= 0 else str(step.get("target"))
        lines.append(f"would {step.get('verb')} {what} ({step.get('region')}): {step.get('why')}")
    if plan.get("waiting"):
        lines.append(f"the pass waits: {plan['waiting']}")
    return lines


def assembly(client: Client, directory: Directory, declaration: Document, *,
             replace: bool) -> Change:  # fmt: skip
    """What applying an assembly's declaration would do, as the server computes it."""
    from vertice_api.client import JSON_PATCH, document_of

    name = declaration.get("name")
    try:
        document, etag = directory.find(str(name), declaration.get("project"))
    except NoSuchAssembly:
        answer = document_of(client.request("POST", "/v3/assembly_factory", body=declaration,
                                            params=DRY_RUN))  # fmt: skip
        return Change(f"{name} created", [], steps_of(answer["plan"]))
    if fixed_differences(declaration, document):
        if not replace:
            refuse_fixed(declaration, document)
        return replacement(client, document, declaration)
    changed, operations = patch_of(declaration, document)
    if not changed:
        plan = client.get(f"{document['uri']}/plan")
        return Change(f"{name} unchanged", [], steps_of(plan))
    headers = {"If-Match": etag} if etag else None
    answer = document_of(client.request("PATCH", document["uri"], body=operations,
                                        media_type=JSON_PATCH, params=DRY_RUN,
                                        headers=headers))  # fmt: skip
    after = answer["assembly"]
    fields = [(k, document.get(k), after.get(k)) for k in answer["changed"]]
    return Change(f"{name} configured ({', '.join(changed)})", fields, steps_of(answer["plan"]))


def replacement(client: Client, document: Document, declaration: Mapping[str, Any]) -> Change:
    """The plan of `--replace`: delete the assembly, wait until it is gone, declare it anew.
    Refused (`Failure`) when routes or a scaler are in front of it: they name the assembly
    by its id, which the new one does not have, so they would serve nothing."""
    name = document["name"]
    fixed = fixed_differences(declaration, document)
    hosts = [r.get("hostname") for r in document.get("routes") or ()]
    scaled = [s for s in client.items("/v3/scalers") if s.get("assembly_uri") == document["uri"]]
    if hosts or scaled:
        users = [f"route {h}" for h in hosts] + (["its scaler"] if scaled else [])
        raise Failure(
            f"{', '.join(fixed)} of assembly {name} cannot change in place, and --replace would "
            f"leave {' and '.join(users)} naming the deleted assembly: delete "
            f"{'them' if len(users) > 1 else 'it'} first (and apply again after)"
        )
    fields = [(k, document.get(k), declaration.get(k)) for k in fixed]
    instances = document.get("status", {}).get("instances") or []
    steps = [f"would delete instance {i.get('ordinal')} ({i.get('region') or document['region']}): "
             "the assembly is replaced" for i in instances]  # fmt: skip
    steps.append(f"then would declare {name} anew, with a new id")
    return Change(f"{name} replaced ({', '.join(fixed)})", fields, steps)


def item(client: Client, directory: Directory, kind: kinds.Kind, body: Document) -> Change:
    """What applying a document of another kind would do (compared as `apply` compares)."""
    ref = body.get(kind.key)
    if not isinstance(ref, str) or not ref:
        raise Failure(f"a {kind.singular} needs a {kind.key}")
    shown = f"{kind.singular}/{ref}"
    if kind.name in ("routes", "scalers"):
        return _controller(client, kind, ref, body)
    current = find(client, directory, kind, ref, body.get("project"))
    if current is None:
        return Change(f"{shown} created")
    changed = differences(kind, current, body)
    if not changed:
        return Change(f"{shown} unchanged")
    if kind.name not in REPLACEABLE:
        raise Failure(f"{', '.join(changed)} cannot change in place ({kind.name} are not "
                      f"replaced): delete {shown} and apply again")  # fmt: skip
    fields = [(k, HIDDEN if k == "credentials" else current.get(k),
               HIDDEN if k == "credentials" else body.get(k)) for k in changed]  # fmt: skip
    return Change(f"{shown} configured ({', '.join(changed)})", fields)


def _controller(client: Client, kind: kinds.Kind, ref: str, body: Document) -> Change:
    """A route's or a scaler's document: created, unchanged, or (scalers) changed."""
    from vertice_api.cli import routes, scalers

    module = routes if kind.name == "routes" else scalers
    shown = f"route {ref}" if kind.name == "routes" else f"scaler of {ref}"
    try:
        current = module.find(client, ref)
    except Failure:
        return Change(f"{shown} created")
    if kind.name == "routes":
        if routes.same(current, body):
            return Change(f"{shown} unchanged")
        raise Failure(f"route {ref} exists with another declaration: routes are not changed "
                      "in place (delete it and apply again)")  # fmt: skip
    changes = [k for k in scalers.CHANGEABLE if k in body and body[k] != current.get(k)]
    if not changes:
        return Change(f"{shown} unchanged")
    fields = [(k, current.get(k), body[k]) for k in changes]
    return Change(f"{shown} changed ({', '.join(sorted(changes))})", fields)


def _shown(value: Any) -> str:
    """A field's value on one line."""
    import json

    if value is None:
        return "(none)"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
