"""The `-o/--output` option of the commands that list (`get`, `users list`): its own
module, so that the server commands use it without importing the client's kinds."""

from __future__ import annotations

import click

#: What `get -o` prints: a table, a wider table, the API's documents, or `kind/name` lines.
FORMATS = ("table", "wide", "json", "yaml", "name")
#: `-o FORMAT` of the listings (`get KIND`, `vertice users list`).
OUTPUT = click.option(
    "-o", "--output", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
    help="A table, a wider one, the API's documents as JSON or YAML, or KIND/NAME lines.",
)  # fmt: skip
