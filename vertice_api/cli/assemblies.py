"""Assemblies by name, and `apply`: declare what a file says, or update what already exists.

The API addresses assemblies by id; people use names. `Directory` reads the
caller's assembly listing once and resolves a name to one assembly, asking for
`--project` when the name is used in several of the caller's projects.
`apply` POSTs each declaration; when the project already has an assembly of
that name (409), it sends a JSON Patch of the patchable attributes that
differ instead, guarded by `If-Match` (or refuses a change of what cannot
change in place).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli.connect import Failure
from vertice_api.cli.output import plan_name

if TYPE_CHECKING:
    from vertice_api.client import Client

#: What `apply` may change on an existing assembly (the API's patchable paths, but the name,
#: which is how the declaration finds the assembly, and restart_count, which `restart` raises).
PATCHED = ("description", "tags", "desired_state", "replicas")
#: What cannot change in place: a file that says otherwise is refused.
#: (`env` is not among them: reads show only its names. Plain `inputs` are patched too:
#: `input_operations`.)
FIXED = ("plan_uri", "region", "flavor", "metrics_port", "probe", "placement", "command", "args")
#: A probe's defaults, so that a file naming fewer fields compares with the stored probe.
PROBE_DEFAULTS = {"path": "", "interval": 10.0, "timeout": 2.0, "failure_threshold": 3}
ASSEMBLY_ID = re.compile(r"asm-[0-9a-f]{16}")
#: Events asked for in one request.
EVENTS_PAGE = 500

Document = dict[str, Any]


class NoSuchAssembly(Failure):
    """No assembly of the caller has that name."""


class Directory:
    """The caller's assemblies, found by name (the `/v3/assembly_factory` listing, read once)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._listing: list[Document] | None = None

    def listing(self) -> list[Document]:
        """Every assembly the caller sees: `uri`, `name` and `status`, sorted by name."""
        if self._listing is None:
            self._listing = list(self.client.items("/v3/assembly_factory", sort="+name"))
        return self._listing

    def documents(self) -> list[Document]:
        """The full document of every assembly in the listing (skipping those gone since)."""
        from vertice_api.client import ApiError

        found = []
        for item in self.listing():
            try:
                found.append(self.client.get(item["uri"]))
            except ApiError as exc:
                if exc.status != 404:
                    raise
        return found

    def find(self, name: str, project: str | None = None) -> tuple[Document, str | None]:
        """The one assembly called `name` (in `project`, if given), and its ETag."""
        from vertice_api.client import ApiError

        if self._listing is None:  # ask the API for that name alone
            named = self.client.items("/v3/assembly_factory", name=name)
            uris = [item["uri"] for item in named if item.get("name") == name]
        else:
            uris = [item["uri"] for item in self.listing() if item.get("name") == name]
        if not uris and ASSEMBLY_ID.fullmatch(name):
            uris = [f"/v3/assembly/{name}"]  # an id works too
        found = []
        for uri in uris:
            try:
                found.append(self.client.get_with_etag(uri))
            except ApiError as exc:
                if exc.status != 404:  # deleted meanwhile
                    raise
        if project is not None:
            found = [(d, etag) for d, etag in found if d.get("project") == project]
        if not found:
            where = f" in project {project!r}" if project else ""
            raise NoSuchAssembly(f"there is no assembly named {name!r}{where}")
        if len(found) > 1:
            projects = ", ".join(sorted(str(d.get("project")) for d, _ in found))
            raise Failure(
                f"{name!r} names {len(found)} assemblies (in projects {projects}); "
                "pass --project to say which"
            )
        return found[0]


def events_of(client: Client, document: Document, after: int = 0) -> list[Document]:
    """Every event of the assembly `document` after the id `after`, oldest first."""
    found: list[Document] = []
    while True:
        page = client.get(document["events_uri"], after=after, items_per_page=EVENTS_PAGE)
        items = page.get("items", [])
        found.extend(items)
        if len(items) < EVENTS_PAGE:
            return found
        after = int(items[-1]["id"])


def load(source: str) -> list[Document]:
    """The declarations in a JSON or YAML file (`-`: standard input).

    A file holds one declaration, a list of them, or (YAML) several documents.
    """
    where = "standard input" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Failure(f"cannot read {where}: {exc}") from None
    documents = _parse(text, where, json_only=source.endswith(".json"))
    declarations: list[Any] = []
    for document in documents:
        declarations.extend(document if isinstance(document, list) else [document])
    if not declarations:
        raise Failure(f"{where} holds no declaration")
    for number, declaration in enumerate(declarations, 1):
        if not isinstance(declaration, dict):
            raise Failure(f"{where}: declaration {number} is not an object of attributes")
        try:
            json.dumps(declaration, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise Failure(
                f"{where}: declaration {number} holds a value JSON cannot represent ({exc}); "
                "quote dates and times"
            ) from None
    return declarations


def _parse(text: str, where: str, *, json_only: bool) -> list[Any]:
    if json_only or text.lstrip().startswith(("{", "[")):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as exc:
            if json_only:
                raise Failure(
                    f"{where}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                ) from None
    import yaml

    # libyaml's loader, where PyYAML was built with it, reads ten times faster (10,000
    # small documents: 0.4 s, not 4 s); it loads the same safe subset.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return [d for d in yaml.load_all(text, Loader=loader) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise Failure(f"{where}: not valid YAML: {problem}{position}") from None


def apply(client: Client, directory: Directory, declaration: Document) -> tuple[Document, str]:
    """Declare the assembly, or update the existing one of that name; its document and a line."""
    from vertice_api.client import ApiError

    name = declaration.get("name")
    try:
        created = client.declare(declaration)
    except ApiError as exc:
        if exc.status != 409 or not isinstance(name, str):
            raise
        try:
            document, etag = directory.find(name, declaration.get("project"))
        except NoSuchAssembly:
            raise exc from None  # the conflict was about something else: show it
        return update(client, document, etag, declaration)
    return created, created_line(created)


def created_line(document: Mapping[str, Any]) -> str:
    """What `apply` prints of an assembly it created: its name and id, and the secret
    inputs vertice generated for it (shown this once)."""
    return f"{document.get('name')} created ({document.get('id')})" + generated_lines(document)


def generated_lines(document: Mapping[str, Any]) -> str:
    """The secret inputs vertice generated, for the one answer that shows them (else "")."""
    generated = document.get("generated_inputs") or {}
    return "".join(
        f"\n  {key}: {value}  (generated: shown this once)" for key, value in generated.items()
    )


def update(
    client: Client, document: Document, etag: str | None, declaration: Mapping[str, Any]
) -> tuple[Document, str]:
    """Patch what differs among the patchable attributes. A file that says otherwise of a
    fixed one (plan, region, flavor...) is refused whole (`Failure`): applying the rest
    would leave the assembly neither as it was nor as the file says."""
    name = document["name"]
    refuse_fixed(declaration, document)
    changed, operations = patch_of(declaration, document)
    if not changed:
        return document, f"{name} unchanged"
    patched = client.patch(document["uri"], operations, etag)
    return patched, f"{name} configured ({', '.join(changed)})"


def refuse_fixed(declaration: Mapping[str, Any], document: Mapping[str, Any]) -> None:
    """`Failure` when the file says otherwise of what cannot change in place."""
    fixed = fixed_differences(declaration, document)
    if fixed:
        resize = (
            f"; `vertice resize {document['name']} {declaration['flavor']}` resizes its "
            "instances in place where the region's driver can"
            if fixed == ["flavor"]
            else ""
        )
        raise Failure(
            f"{', '.join(fixed)} of assembly {document['name']} cannot change in place "
            "(apply --replace deletes the assembly and declares it anew); nothing of it was "
            f"changed{resize}"
        )


def patch_of(
    declaration: Mapping[str, Any], document: Mapping[str, Any]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The attributes the file changes and the JSON Patch that changes them (a note on
    standard error names the secret inputs the file gives, which cannot be compared)."""
    name = document["name"]
    changed = [k for k in PATCHED if k in declaration and declaration[k] != document.get(k)]
    operations = [{"op": "replace", "path": f"/{k}", "value": declaration[k]} for k in changed]
    inputs, secret = input_operations(declaration, document)
    if secret:
        click.echo(
            f"note: {name}: secret inputs are never read back, so apply leaves them as they are: "
            f"{', '.join(secret)} (`vertice rotate {name} INPUT` generates a new one)",
            err=True,
        )
    if inputs:
        changed.append("inputs")
        operations += inputs
    return changed, operations


def input_operations(
    declaration: Mapping[str, Any], document: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The patch operations of the plain inputs the file says otherwise (changing one
    replaces the instances), and the secret inputs the file names (never compared)."""
    given = declaration.get("inputs")
    if not isinstance(given, Mapping):
        return [], []
    secret = set(document.get("secret_inputs") or [])
    current = document.get("inputs") or {}
    operations = [
        {"op": "add", "path": f"/inputs/{key}", "value": value}
        for key, value in given.items()
        if key not in secret and current.get(key) != _as_text(value)
    ]
    return operations, [key for key in given if key in secret]


def _as_text(value: Any) -> Any:
    """A file's input value as the API stores it (JSON booleans and numbers as text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


def fixed_differences(declaration: Mapping[str, Any], document: Mapping[str, Any]) -> list[str]:
    """The attributes that cannot change in place and that the file says otherwise."""
    return [
        key
        for key in FIXED
        if key in declaration and _fixed_value(key, declaration) != _fixed_value(key, document)
    ]


def _fixed_value(key: str, source: Mapping[str, Any]) -> Any:
    """`source[key]` as the API would store it (a plan by name, a probe with its defaults)."""
    value = source.get(key)
    if key == "plan_uri":
        return plan_name({"plan_uri": value})
    if key == "probe" and isinstance(value, Mapping):
        return {**PROBE_DEFAULTS, **value}
    return value
