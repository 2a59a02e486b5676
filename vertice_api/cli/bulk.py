"""`apply -f` of many assemblies at once: their declarations go in batches.

Each batch is one `POST /v3/assembly_factory/batch` of up to `CHUNK` declarations
(and `CHUNK_BYTES` of JSON), stored in one transaction on the server, and answered
with one result per declaration. What a result says is handled as `apply` handles the
single POST's answer: a 201 is the `created` line; a 409 (the project already has an
assembly of that name) goes the usual way, one by one, to the JSON Patch of what
differs; any other refusal is that document's failure line. So the output is the same
as one request per document, at a fraction of the requests.

Two batches are in flight at once (the server's workers share them), and their
results are printed in the order of the files. With more than one batch, progress is
shown on standard error: one line rewritten in place on a terminal, else a line per
batch. A server without the batch route (404 or 405: an older vertice) gets the
documents one by one.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from vertice_api.cli.assemblies import Directory, Document, created_line
from vertice_api.cli.connect import explain
from vertice_api.cli.manifests import Manifest
from vertice_api.cli.wait import Tracked

if TYPE_CHECKING:
    from vertice_api.cli.declare import Outcome
    from vertice_api.client import Client

#: Declarations per batch request (the server takes up to 1,000).
CHUNK = 500
#: Bytes of JSON per batch request (the server reads bodies of up to 1 MiB).
CHUNK_BYTES = 512 * 1024
#: Batches in flight at once.
IN_FLIGHT = 2


@dataclass(frozen=True)
class Pending:
    """An assembly document ready to send: its manifest, body and secret values."""

    manifest: Manifest
    body: Document
    secrets: Sequence[str]


def chunks(pending: Sequence[Pending]) -> Iterator[list[Pending]]:
    """`pending` cut into batches of at most `CHUNK` documents and `CHUNK_BYTES` of JSON."""
    chunk: list[Pending] = []
    size = 0
    for item in pending:
        length = len(json.dumps(item.body)) + 2
        if chunk and (len(chunk) == CHUNK or size + length > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += length
    if chunk:
        yield chunk


class Progress:
    """`applying assemblies: 1500/10000 (2,345/s)` on standard error."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.terminal = sys.stderr.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        line = f"applying assemblies: {self.done}/{self.total} ({rate:,.0f}/s)"
        if self.terminal:
            end = "\n" if self.done >= self.total else ""
            click.echo(f"\r{line}", err=True, nl=False)
            click.echo(end, err=True, nl=False)
        else:
            click.echo(line, err=True)


def apply_assemblies(
    client: Client,
    directory: Directory,
    pending: Sequence[Pending],
    outcome: Outcome,
    one_by_one: Callable[[Pending], None],
) -> None:
    """Declare `pending` in batches; `one_by_one` applies a document the usual way (a 409's
    update, or every document when the server has no batch route)."""
    from vertice_api.client import ApiError

    batches = list(chunks(pending))
    progress = Progress(len(pending)) if len(batches) > 1 else None
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        futures: list[Future[list[dict[str, Any]]]] = [
            pool.submit(client.declare_many, [p.body for p in batch]) for batch in batches
        ]
        for batch, future in zip(batches, futures, strict=True):
            try:
                results = future.result()
            except ApiError as exc:
                if exc.status in (404, 405):  # an older server: no batches
                    for item in batch:
                        one_by_one(item)
                else:
                    for item in batch:
                        outcome.fail(item.manifest, explain(exc), item.secrets)
            else:
                for item, result in zip(batch, results, strict=True):
                    settle(item, result, outcome, one_by_one)
            if progress is not None:
                progress.advance(len(batch))


def settle(
    item: Pending,
    result: dict[str, Any],
    outcome: Outcome,
    one_by_one: Callable[[Pending], None],
) -> None:
    """What `apply` does with one declaration's result."""
    from vertice_api.client import error_of

    status = result.get("status")
    if status == 201:
        outcome.tracked.append(Tracked.declared(result, item.body))
        click.echo(created_line(result))
    elif status == 409 and isinstance(item.body.get("name"), str):
        one_by_one(item)  # the name is in use: the update of what differs
    else:
        error = error_of(int(status) if isinstance(status, int) else 0, result)
        outcome.fail(item.manifest, explain(error), item.secrets)
