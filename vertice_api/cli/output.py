"""How the client commands print: aligned tables, JSON or YAML documents, ages, descriptions.

Pure functions from API documents to text; the commands echo what they return.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import click

#: The `-o/--output` option of the listing commands.
FORMATS = ("table", "json", "yaml")


def output_option(func: Any) -> Any:
    """`-o/--output table|json|yaml` (the parameter `fmt`)."""
    return click.option(
        "-o",
        "--output",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Print a table, or the API's documents as JSON or YAML.",
    )(func)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns aligned by the widest cell; the last column is not padded."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("   ".join([*padded, row[-1]]).rstrip())
    return "\n".join(lines)


#: A column of a table: its header, and what it shows of a document.
Column = tuple[str, Callable[[Mapping[str, Any]], Any]]


def columns_table(columns: Sequence[Column], items: Sequence[Mapping[str, Any]]) -> str:
    """`table` of `items`, one row each, one cell per column."""
    return table([h for h, _ in columns], [[cell(i) for _, cell in columns] for i in items])


def dump(document: Any, fmt: str) -> str:
    """`document` as indented JSON or block-style YAML."""
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True)).rstrip("\n")
    return json.dumps(document, indent=2, ensure_ascii=False)


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time of the API (None if absent or unreadable)."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def age(text: str | None, now: datetime | None = None) -> str:
    """How long ago `text` was, as kubectl shows it: `42s`, `5m`, `3h`, `12d`."""
    then = parse_time(text)
    if then is None:
        return "-"
    seconds = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def instance_addresses(instance: Mapping[str, Any]) -> list[str]:
    """Where an instance is reached: its published `host:port`s (`access`), else its public,
    else its private, IPv4 address (none: an empty list)."""
    published = [str(a) for a in instance.get("access") or [] if a]
    if published:
        return published
    address = instance.get("public_ipv4") or instance.get("private_ipv4")
    return [str(address)] if address else []


def addresses(document: Mapping[str, Any]) -> str:
    """Where an assembly's instances are reached (`instance_addresses`), in ordinal order."""
    instances = sorted(
        document.get("status", {}).get("instances", []),
        key=lambda i: (i.get("ordinal", 0), i.get("key", "")),
    )
    return ",".join(a for i in instances for a in instance_addresses(i)) or "-"


def plan_name(document: Mapping[str, Any]) -> str:
    """The plan an assembly was made from (the last part of its `plan_uri`)."""
    return str(document.get("plan_uri", "")).rstrip("/").rsplit("/", 1)[-1]


#: The columns of `plans`: name and description.
PLAN_COLUMNS: tuple[Column, ...] = (
    ("NAME", lambda p: p.get("name")),
    ("DESCRIPTION", lambda p: p.get("description")),
)
#: The columns of `regions`: name, cloud type, the provider's region and description.
REGION_COLUMNS: tuple[Column, ...] = (
    ("NAME", lambda r: r.get("name") or "-"),
    ("CLOUD TYPE", lambda r: r.get("cloud_type") or "-"),
    ("PROVIDER REGION", lambda r: r.get("provider_region") or "-"),
    ("DESCRIPTION", lambda r: r.get("description") or "-"),
)
#: The columns of `flavors`: name, CPUs, RAM (MiB), disk (GiB), regions, price per hour
#: running and stopped.
FLAVOR_COLUMNS: tuple[Column, ...] = (
    ("NAME", lambda f: f.get("name")),
    ("CPU", lambda f: f.get("cpu")),
    ("RAM", lambda f: f.get("ram")),
    ("DISK", lambda f: f.get("disk")),
    ("REGIONS", lambda f: ",".join(f.get("regions", [])) or "all"),
    ("PRICE/HOUR", lambda f: f"{f.get('price_per_hour', 0)} {f.get('currency', '')}"),
    ("STOPPED/HOUR", lambda f: f"{f.get('stopped_price_per_hour', 0)} {f.get('currency', '')}"),
)


def plans_table(items: Sequence[Mapping[str, Any]]) -> str:
    """`plans`: name and description."""
    return columns_table(PLAN_COLUMNS, items)


def regions_table(items: Sequence[Mapping[str, Any]]) -> str:
    """`regions`: name, cloud type, the provider's region and description."""
    return columns_table(REGION_COLUMNS, items)


def flavors_table(items: Sequence[Mapping[str, Any]]) -> str:
    """`flavors`: name, CPUs, RAM (MiB), disk (GiB), regions, price per hour (running and
    stopped)."""
    return columns_table(FLAVOR_COLUMNS, items)


def _probe(probe: Any) -> str:
    """An assembly's probe on one line, or `-`."""
    if not isinstance(probe, Mapping):
        return "-"
    what = f"GET {probe.get('path')}" if probe.get("path") else "TCP"
    return (
        f"{what} on port {probe.get('port')} every {probe.get('interval')}s "
        f"(timeout {probe.get('timeout')}s, replaced after {probe.get('failure_threshold')} "
        "failures)"
    )


def declared_replicas(document: Mapping[str, Any]) -> Any:
    """How many instances an assembly declares (an API before replicas: its status says)."""
    return document.get("replicas", document.get("status", {}).get("replicas", 1))


def ready(document: Mapping[str, Any]) -> str:
    """Ready instances of the declared ones, as kubectl shows them: `2/3`."""
    ready_replicas = document.get("status", {}).get("ready_replicas", 0)
    return f"{ready_replicas}/{declared_replicas(document)}"


def regions(document: Mapping[str, Any]) -> str:
    """Where an assembly runs: its region, or its placement's regions (`local+east`)."""
    placement = document.get("placement")
    if isinstance(placement, Mapping) and placement.get("regions"):
        return "+".join(placement["regions"])
    return str(document.get("region", "-"))


def _placement(document: Mapping[str, Any]) -> list[str]:
    """The placement lines of `describe`: the policy, and what each region reports."""
    placement = document.get("placement")
    if not isinstance(placement, Mapping):
        return []
    parts = document.get("status", {}).get("placement") or []
    rows = [
        [
            p.get("region"),
            f"{p.get('ready_replicas', 0)}/{p.get('replicas', 0)}",
            p.get("phase"),
            p.get("reason") or "-",
            (f"refused: {p['failed'].get('reason')}" if p.get("failed") else "-"),
        ]
        for p in parts
    ]
    return [
        field("Placement", f"{placement.get('policy')} over {', '.join(placement['regions'])}"),
        indent(table(["REGION", "READY", "PHASE", "REASON", "NEW INSTANCES"], rows))
        if rows
        else indent("(no region has reported yet)"),
    ]


def _source(document: Mapping[str, Any]) -> list[str]:
    """The source lines of `describe`: where the image is built from, and the release."""
    source = document.get("source")
    if not isinstance(source, Mapping):
        return []
    where = f"{source.get('url')} {source.get('ref') or '(default branch)'}"
    if source.get("subdirectory"):
        where += f" in {source['subdirectory']}"
    if source.get("recipe"):
        where += f", recipe {source['recipe']}"
    release = document.get("release")
    shown = "none yet (vertice builds lists its builds)"
    if isinstance(release, Mapping):
        commit = str(release.get("commit"))[:12]
        shown = (f"revision {release.get('revision')}: {release.get('image')} "
                 f"(commit {commit}, build {release.get('build_id')})")  # fmt: skip
    return [field("Source", where), field("Release", shown)]


#: The columns of `get assemblies`: name, ready/declared instances, phase, region, flavor,
#: addresses, age.
ASSEMBLY_COLUMNS: tuple[Column, ...] = (
    ("NAME", lambda d: d["name"]),
    ("READY", ready),
    ("PHASE", lambda d: d.get("status", {}).get("phase", "-")),
    ("REGION", regions),
    ("FLAVOR", lambda d: d.get("flavor", "-")),
    ("ADDRESSES", addresses),
    ("AGE", lambda d: age(d.get("created_at"))),
)
#: What `-o wide` adds: the plan, the desired state, restarts, tags and the id.
ASSEMBLY_WIDE: tuple[Column, ...] = (
    ("PLAN", plan_name),
    ("DESIRED", lambda d: d.get("desired_state", "-")),
    ("RESTARTS", lambda d: d.get("restart_count", 0)),
    ("TAGS", lambda d: ",".join(d.get("tags") or []) or "-"),
    ("ID", lambda d: d.get("id")),
)


def assemblies_table(documents: Sequence[Mapping[str, Any]], *, wide: bool = False) -> str:
    """`get assemblies`: `ASSEMBLY_COLUMNS` (and project when mixed; `ASSEMBLY_WIDE` too
    when `wide`)."""
    columns = list(ASSEMBLY_COLUMNS + (ASSEMBLY_WIDE if wide else ()))
    if len({d.get("project") for d in documents}) > 1:
        columns.insert(1, ("PROJECT", lambda d: d.get("project", "-")))
    return columns_table(columns, documents)


def events_lines(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """Events one per line, in columns that need no look-ahead (for `--follow`)."""
    return [
        f"{e.get('time', '')}  {e.get('type', ''):<7}  {e.get('reason', ''):<14}  "
        f"{e.get('message', '')}".rstrip()
        for e in events
    ]


def field(label: str, value: Any) -> str:
    return f"{label + ':':<15}{'' if value is None else value}"


def describe(document: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> str:
    """`describe assembly`: spec, status, conditions, instances and recent events."""
    status = document.get("status", {})
    credential = document.get("credential", {})
    shown_credential = credential.get("kind", "none") + (
        f" ({credential['name']})" if credential.get("name") else ""
    )
    created = document.get("created_at")
    reason = f" ({status.get('reason')})" if status.get("reason") else ""
    lines = [
        field("Name", document.get("name")),
        field("ID", document.get("id")),
        field("Project", document.get("project")),
        field("Description", document.get("description")),
        field("Tags", ", ".join(document.get("tags", []))),
        field("Plan", plan_name(document)),
        field("Region", document.get("region")),
        *_placement(document),
        field("Flavor", document.get("flavor")),
        field("Credential", shown_credential),
        field("Desired state", document.get("desired_state")),
        field("Restarts", document.get("restart_count")),
        field("Probe", _probe(document.get("probe"))),
        *_run(document),
        *_source(document),
        field(
            "Replicas",
            f"{declared_replicas(document)} declared, {status.get('ready_replicas', 0)} ready, "
            f"{status.get('updated_replicas', 0)} up to date",
        ),
        field(
            "Generation",
            f"{document.get('generation')} (observed {status.get('observed_generation')})",
        ),
        field("Created", f"{created} ({age(created)} ago)"),
        field("Phase", f"{status.get('phase')}{reason}"),
        field("Message", status.get("message") or ""),
        "Conditions:",
        indent(conditions_table(status.get("conditions", []))),
        "Instances:",
        indent(_instances(status.get("instances", []))),
        f"Events (last {len(events)}):" if events else "Events:",
        indent("\n".join(events_lines(events)) if events else "(none)"),
    ]
    return "\n".join(line.rstrip() for line in lines)


def _run(document: Mapping[str, Any]) -> list[str]:
    """The declared command, args and env names (values are never returned); none: no line."""
    lines = []
    for label, key in (("Command", "command"), ("Args", "args")):
        if document.get(key):
            lines.append(field(label, shlex.join(str(a) for a in document[key])))
    if document.get("env_names"):
        lines.append(field("Env", ", ".join(document["env_names"]) + " (values hidden)"))
    return lines


def conditions_table(conditions: Sequence[Mapping[str, Any]]) -> str:
    if not conditions:
        return "(none yet)"
    keys = ("type", "status", "reason", "last_transition_time", "message")
    return table(
        ["TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"],
        [[c.get(k) for k in keys] for c in conditions],
    )


def _instances(instances: Sequence[Mapping[str, Any]]) -> str:
    if not instances:
        return "(none)"
    keys = ("region", "state", "flavor", "public_ipv4", "private_ipv4")
    ordered = sorted(instances, key=lambda i: (i.get("ordinal", 0), i.get("key", "")))
    return table(
        ["ORDINAL", "REGION", "STATE", "FLAVOR", "PUBLIC IPV4", "PRIVATE IPV4", "PUBLISHED",
         "KEY", "CLOUD ID"],
        [[i.get("ordinal", 0), *(i.get(k) or "-" for k in keys),
          ",".join(str(a) for a in i.get("access") or []) or "-",
          i.get("key") or "-", i.get("cloud_id") or "-"] for i in ordered],
    )  # fmt: skip


def indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
