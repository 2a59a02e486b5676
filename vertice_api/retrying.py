"""Requests the database failed, tried again while that is safe.

Two failures of the database are worth a second try inside the same request, so that
the client never sees them:

- `Contended`: the database rolled a transaction back to keep concurrent ones
  consistent (SQLSTATE 40001, CockroachDB's restart errors, or a 40P01 deadlock).
  Nothing of that transaction was stored; the request is run again from the start, up
  to `CONTENDED_TRIES` times in all, after a short jittered backoff.
- `Unavailable` (a lost connection: a restart, a failover to the standby): run again
  once, on a new connection, which finds the new primary when the URL lists every host
  with `target_session_attrs=read-write`.

Either is tried again only while the attempt stored nothing (`attempts.Attempt`: no
write transaction of the request committed, and no commit was cut off half-way, whose
outcome nobody knows). Otherwise, or when the tries run out, the error reaches the
client as the 503 with `Retry-After` it is (`vertice_api.errors`); never a 500.

A request's body is read once (`vertice_api.http.read_raw` keeps it on the request), so
a second run parses the same bytes.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import falcon

from vertice_core.errors import Contended, StorageFull, Unavailable
from vertice_core.metrics import Metrics
from vertice_core.store.attempts import attempt

log = logging.getLogger("vertice.api")

#: Runs of a request whose transactions the database keeps rolling back under contention.
CONTENDED_TRIES = 5
#: The first backoff after a contended run (seconds); each next one is 4 times longer.
CONTENDED_BACKOFF = 0.01

_METHODS = ("get", "head", "post", "put", "patch", "delete", "options")


def with_retries(resource: object, metrics: Metrics) -> object:
    """`resource` with each of its responders (`on_get`, ...) tried again as above."""
    for method in _METHODS:
        responder = getattr(resource, f"on_{method}", None)
        if responder is not None and not getattr(responder, "_vertice_retrying", False):
            setattr(resource, f"on_{method}", _retrying(responder, metrics))
    return resource


def _retrying(responder: Callable[..., None], metrics: Metrics) -> Callable[..., None]:
    @functools.wraps(responder)
    def run(req: falcon.Request, resp: falcon.Response, **params: Any) -> None:
        contended = 0
        lost = 0
        while True:
            with attempt() as record:
                try:
                    responder(req, resp, **params)
                    return
                except StorageFull:
                    raise
                except Contended:
                    contended += 1
                    if not record.stored_nothing or contended >= CONTENDED_TRIES:
                        raise
                    reason = "contended"
                    pause = CONTENDED_BACKOFF * 4 ** (contended - 1)
                except Unavailable:
                    lost += 1
                    if not record.stored_nothing or lost > 1:
                        raise
                    reason = "unavailable"
                    pause = 0.0
            metrics.db_retries.labels(reason).inc()
            log.info("%s %s: the database failed it (%s); trying again", req.method,
                     req.path, reason)  # fmt: skip
            if pause:
                time.sleep(pause * random.uniform(0.5, 1.5))  # noqa: S311 -- jitter
            # A fresh response: what the failed run set (status, headers, body) is dropped.
            resp.__init__(options=resp.options)  # type: ignore[misc]

    run._vertice_retrying = True  # type: ignore[attr-defined]
    return run
