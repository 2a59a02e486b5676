"""The kinds of the API for `get`, `describe` and `delete`: one table.

Each `Kind` says where its collection and items are, which field names an item
(what `describe` and `delete` take, and what `-o name` prints), and the columns
of its table and of `-o wide`. `get KIND [NAMES]`, `describe KIND NAME` and
`delete KIND NAMES` are made from it (`vertice_api.cli.kind_commands`), so every kind
lists, prints (`-o json|yaml|name|wide`), watches (`--watch`) and deletes alike. A kind whose
items the API finds otherwise (assemblies by name and project, routes by
hostname, scalers by assembly, events of assemblies) brings its own `find` or
`fetch`; one with a richer page brings its own `describe`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from vertice_api.cli import output, routes, scalers
from vertice_api.cli.assemblies import Directory, Document, events_of

if TYPE_CHECKING:
    from vertice_api.client import Client

#: Events shown by `describe assembly`.
RECENT_EVENTS = 10


@dataclass(frozen=True)
class Query:
    """What narrows a listing: a project, a user (tokens), label selectors (`-l`)."""

    project: str | None = None
    user: str | None = None
    selectors: tuple[str, ...] = ()


Find = Callable[["Client", str, Query], Document]
Fetch = Callable[["Client", tuple[str, ...], Query], list[Document]]


@dataclass(frozen=True)
class Kind:
    """A kind of the API, as the commands name, find, print and delete its items."""

    #: The command's name (plural); `singular` and `aliases` name it too.
    name: str
    singular: str
    #: What `get KIND --help` says.
    summary: str
    #: The collection's URI; an item's URI, `{ref}` standing for the key's value.
    collection: str
    item: str
    #: The field that names an item.
    key: str
    columns: tuple[output.Column, ...]
    #: What `-o wide` adds.
    wide: tuple[output.Column, ...] = ()
    aliases: tuple[str, ...] = ()
    #: `--project` (a query parameter when `project_param`), `--user`, `-l` on `get`.
    project: bool = False
    project_param: bool = False
    user: bool = False
    tagged: bool = False
    deletable: bool = True
    describable: bool = True
    #: How `delete` reports an item gone.
    deleted: str = "deleted"
    find: Find | None = None
    fetch: Fetch | None = None
    describe: Callable[[Client, Document], str] | None = None
    #: The kind's own delete (`remove(client, refs)`), printing its own lines.
    remove: Callable[[Client, Sequence[str]], None] | None = None
    #: The kind's own table (`table(items, wide=...)`) instead of `columns` and `wide`.
    table: Callable[..., str] | None = None
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", (self.name, self.singular, *self.aliases))

    def name_of(self, document: Mapping[str, Any]) -> str:
        """What names the item `document` (its `key`, else its id or name)."""
        return str(document.get(self.key) or document.get("id") or document.get("name"))

    def render(self, items: Sequence[Document], *, wide: bool = False) -> str:
        """The items as a table (`-o wide`: with the wide columns)."""
        if self.table is not None:
            return self.table(items, wide=wide)
        return output.columns_table(self.columns + (self.wide if wide else ()), items)

    def params(self, query: Query) -> dict[str, Any]:
        """The query parameters of the kind's requests."""
        params: dict[str, Any] = {}
        if self.project_param and query.project:
            params["project"] = query.project
        if self.user and query.user:
            params["user"] = query.user
        return params

    def get_one(self, client: Client, ref: str, query: Query) -> Document:
        """The item named `ref`."""
        if self.find is not None:
            return self.find(client, ref, query)
        found: Document = client.get(self.item.format(ref=quote(ref, safe="")),
                                     **self.params(query))  # fmt: skip
        return found

    def get_many(self, client: Client, refs: tuple[str, ...], query: Query) -> list[Document]:
        """The items named `refs` (none: every item), kept when they match the selectors."""
        if self.fetch is not None:
            found = self.fetch(client, refs, query)
        elif refs:
            found = [self.get_one(client, ref, query) for ref in refs]
        else:
            found = list(client.items(self.collection, **self.params(query)))
        return [d for d in found if all(selected(d.get("tags") or [], s) for s in query.selectors)]


def selected(tags: Sequence[str], selector: str) -> bool:
    """Whether tags match a label selector: terms `key=value` (a tag `key=value`),
    `key!=value` (no such tag) or `key` (a tag `key` or `key=...`), comma-separated."""
    for term in (t.strip() for t in selector.split(",") if t.strip()):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if f"{key}={value}" in tags:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=", 1).split("=", 1)
            if f"{key}={value}" not in tags:
                return False
        elif not any(t == term or t.startswith(f"{term}=") for t in tags):
            return False
    return True


def described(document: Mapping[str, Any]) -> str:
    """Any document in detail: a line per field, nested ones as indented YAML."""
    width = max((len(k) for k in document), default=0) + 3
    lines = []
    for key, value in document.items():
        label = f"{key.replace('_', ' ').capitalize()}:".ljust(width)
        nested = isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value)
        if (isinstance(value, Mapping) and value) or nested:
            lines += [label.rstrip(), output.indent(output.dump(value, "yaml"))]
        elif isinstance(value, list | Mapping):
            lines.append(f"{label}{', '.join(str(v) for v in value) or '-'}")
        else:
            lines.append(f"{label}{'-' if value in (None, '') else value}".rstrip())
    return "\n".join(lines)


# -- the kinds that find or print their items their own way --


def _assembly(client: Client, ref: str, query: Query) -> Document:
    return Directory(client).find(ref, query.project)[0]


def _assemblies(client: Client, refs: tuple[str, ...], query: Query) -> list[Document]:
    """The named assemblies, else every one (of `--project`)."""
    directory = Directory(client)
    if refs:
        return [directory.find(ref, query.project)[0] for ref in refs]
    return [d for d in directory.documents() if query.project in (None, d.get("project"))]


def _events(client: Client, refs: tuple[str, ...], query: Query) -> list[Document]:
    """The events of the named assemblies, else of every one (of `--project`), oldest first;
    each says its assembly's name."""
    found = [
        {**event, "assembly": document["name"]}
        for document in _assemblies(client, refs, query)
        for event in events_of(client, document)
    ]
    return sorted(found, key=lambda e: (str(e.get("time")), int(e.get("id") or 0)))


def _describe_assembly(client: Client, document: Document) -> str:
    return output.describe(document, events_of(client, document)[-RECENT_EVENTS:])


def _age(key: str = "created_at") -> output.Column:
    return ("AGE", lambda d: output.age(d.get(key)))


def _joined(key: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda d: ", ".join(str(v) for v in d.get(key) or []) or "-"


#: The columns of `projects`: name, members, invited users, description.
PROJECT_COLUMNS: tuple[output.Column, ...] = (
    ("NAME", lambda p: p.get("name")),
    ("MEMBERS", _joined("members")),
    ("INVITED", _joined("invited")),
    ("DESCRIPTION", lambda p: p.get("description") or "-"),
)

ASSEMBLIES = Kind(
    "assemblies", "assembly", "List assemblies (all, or NAMES): name, ready/declared instances, "
    "phase, region, flavor, addresses (published ports first), age. With `-o json|yaml`, one "
    "NAME prints its object, else a list.",
    "/v3/assembly_factory", "/v3/assembly/{ref}", "name", output.ASSEMBLY_COLUMNS,
    output.ASSEMBLY_WIDE, aliases=("asm",), project=True, tagged=True,
    find=_assembly, fetch=_assemblies, describe=_describe_assembly, table=output.assemblies_table,
)  # fmt: skip
PROJECTS = Kind(
    "projects", "project", "List your projects (administrators: all), or NAMES.",
    "/v3/projects", "/v3/projects/{ref}", "name", PROJECT_COLUMNS,
    (("OWNER", lambda p: p.get("owner") or "-"), ("ID", lambda p: p.get("id")), _age()),
)  # fmt: skip
TOKENS = Kind(
    "tokens", "token", "List your API tokens (administrators: --user's), or IDS; never the "
    "tokens themselves.", "/v3/tokens", "/v3/tokens/{ref}", "id",
    (("ID", lambda t: t.get("id")), ("NAME", lambda t: t.get("name")),
     ("USER", lambda t: t.get("user")), ("EXPIRES", lambda t: t.get("expires_at") or "never"),
     _age()),
    (("CREATED", lambda t: t.get("created_at")),), user=True, deleted="revoked",
)  # fmt: skip

REGIONS = Kind(
    "regions", "region", "List the regions to launch in (or NAMES), with their cloud type.",
    "/v3/regions", "/v3/regions/{ref}", "name", output.REGION_COLUMNS,
    (("ENDPOINT", lambda r: r.get("endpoint") or "-"), _age()),
)  # fmt: skip

KINDS: tuple[Kind, ...] = (
    ASSEMBLIES,
    Kind(
        "routes",
        "route",
        "List your routes (or HOSTNAMES): hostname, path, assembly, port, "
        "TLS, phase, upstreams, URL.",
        "/v3/routes",
        "/v3/routes/{ref}",
        "hostname",
        routes.COLUMNS,
        routes.WIDE,
        find=lambda c, ref, _: routes.find(c, ref),
        describe=lambda _, d: routes.describe_text(d),
        table=routes.table,
        remove=routes.delete,
    ),
    Kind(
        "scalers",
        "scaler",
        "List your scalers (or those of ASSEMBLIES): assembly, bounds, "
        "target, last value, replicas, whether active.",
        "/v3/scalers",
        "/v3/scalers/{ref}",
        "assembly",
        scalers.COLUMNS,
        scalers.WIDE,
        find=lambda c, ref, _: scalers.find(c, ref),
        describe=lambda _, d: scalers.describe_text(d),
        table=scalers.table,
        remove=scalers.delete,
    ),
    Kind(
        "plans",
        "plan",
        "List the plans assemblies are made from (or NAMES).",
        "/v3/plan_factory",
        "/v3/plan/{ref}",
        "name",
        output.PLAN_COLUMNS,
    ),
    REGIONS,
    Kind(
        "flavors",
        "flavor",
        "List flavors (or NAMES): CPUs, RAM (MiB), disk (GiB), regions, running/stopped prices.",
        "/v3/flavors",
        "/v3/flavors/{ref}",
        "name",
        output.FLAVOR_COLUMNS,
        (("DESCRIPTION", lambda f: f.get("description") or "-"),),
    ),
    Kind(
        "sshkeys",
        "sshkey",
        "List the SSH keys stored in your projects (or NAMES).",
        "/v3/sshkeys",
        "/v3/sshkeys/{ref}",
        "name",
        (
            ("NAME", lambda k: k.get("name")),
            ("PROJECT", lambda k: k.get("project")),
            ("FINGERPRINT", lambda k: k.get("fingerprint")),
            _age(),
        ),
        (("PUBLIC KEY", lambda k: k.get("public_key")),),
        aliases=("ssh-keys", "keys"),
        project=True,
        project_param=True,
    ),
    PROJECTS,
    Kind(
        "users",
        "user",
        "List users (administrators; others see only themselves by NAME).",
        "/v3/users",
        "/v3/users/{ref}",
        "name",
        (
            ("NAME", lambda u: u.get("name")),
            ("ADMIN", lambda u: "yes" if u.get("admin") else "no"),
            ("PROJECTS", _joined("projects")),
            _age(),
        ),
        (("CREATED", lambda u: u.get("created_at")),),
    ),
    TOKENS,
    Kind(
        "events",
        "event",
        "List the events of assemblies NAMES (none: of all yours, or of "
        "--project's), oldest first.",
        "",
        "",
        "id",
        (
            ("TIME", lambda e: e.get("time")),
            ("ASSEMBLY", lambda e: e.get("assembly")),
            ("TYPE", lambda e: e.get("type")),
            ("REASON", lambda e: e.get("reason")),
            ("MESSAGE", lambda e: e.get("message")),
        ),
        (("REGION", lambda e: e.get("region") or "-"), ("ID", lambda e: e.get("id"))),
        project=True,
        deletable=False,
        describable=False,
        fetch=_events,
    ),
)

#: Every name of a kind (plural, singular, aliases) and its kind.
BY_NAME = {name: kind for kind in KINDS for name in kind.names}


def lookup(word: str) -> Kind | None:
    """The kind `word` names, if any."""
    return BY_NAME.get(word.lower())
