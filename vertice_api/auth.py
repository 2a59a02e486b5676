"""Bearer-token authentication and the caller's scope.

Every route needs a token except the ones whose resource says `public = True`
(`/healthz`, `/v3/openapi.json`). A token is looked up by its SHA-256 digest;
the answer is cached per worker for a few seconds so that a busy client does
not cost a query per request. A write that changes a caller (a revoked token, a
membership) empties every worker's cache (`CacheGeneration`), so it counts at once.

Failed authentications are limited (`vertice_api.ratelimit`): a `vt_` token that is
unknown, revoked or expired counts against its client address and its prefix; once either
has `LIMIT` failures in a window, every request carrying it is answered 429 with a
`Retry-After` before any lookup, valid tokens included. A missing header or a credential
that is not a `vt_` token is refused (401) without counting: it costs no lookup and can
never be right, and counting it would let one misconfigured client (or a scanner's
"invalid credential" probes) behind a shared address lock out the rest.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import falcon

from vertice_api.generation import CacheGeneration
from vertice_api.ratelimit import FailureLimiter, failure_keys
from vertice_core.crypto import TOKEN_PREFIX, token_digest
from vertice_core.errors import StorageFull, Unavailable
from vertice_core.service.caller import Caller, caller_for_token
from vertice_core.store import Store


def caller_of(req: falcon.Request) -> Caller:
    """The authenticated caller of `req`."""
    caller: Caller = req.context.caller
    return caller


class TokenCache:
    """A small per-worker LRU of token digest -> caller, with a time to live.

    `clear()` (after a write that changes a caller: a token revoked, a membership, a
    project) empties every worker's cache through their shared `CacheGeneration`: a
    revoked token stops working at once on every worker, not within `ttl`. Another API
    server (another machine, another `vertice serve --api-only`) has its own generation: a
    change shows there within `ttl`. A `ttl` of 0 caches nothing: every request reads.
    """

    def __init__(
        self, ttl: float, size: int = 10_000, generation: CacheGeneration | None = None
    ) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[str, tuple[float, Caller]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = generation or CacheGeneration()
        self._seen = self._generation.value()

    def get(self, digest: str) -> Caller | None:
        current = self._generation.value()
        with self._lock:
            if current != self._seen:  # another worker changed a caller: forget them all
                self._entries.clear()
                self._seen = current
            entry = self._entries.get(digest)
            if entry is None or entry[0] < time.monotonic():
                return None
            self._entries.move_to_end(digest)
            return entry[1]

    def put(self, digest: str, caller: Caller) -> None:
        if self.ttl <= 0:  # not even until the clock moves on: a coarse one might not
            return
        # A caller read before a change another worker made is dropped at the next `get`,
        # which sees the generation its `_seen` is behind.
        with self._lock:
            self._entries[digest] = (time.monotonic() + self.ttl, caller)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        self._generation.bump()
        with self._lock:
            self._entries.clear()


class AuthMiddleware:
    """Resolves `Authorization: Bearer <token>` into `req.context.caller`."""

    def __init__(self, store: Store, cache: TokenCache, limiter: FailureLimiter) -> None:
        self.store = store
        self.cache = cache
        self.limiter = limiter

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        if resource is None or getattr(resource, "public", False) or req.method == "OPTIONS":
            return
        header = req.get_header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        keys = failure_keys(req.remote_addr, token)
        wait = self.limiter.retry_after(keys)
        if wait is not None:
            raise falcon.HTTPTooManyRequests(
                title="Too many failed authentications",
                description=f"too many failed authentications from this address or with "
                f"this token's prefix; try again in {wait} s",
                retry_after=wait,
            )
        if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
            raise _unauthorized("send a bearer token: 'Authorization: Bearer vt_...'")
        digest = token_digest(token)
        caller = self.cache.get(digest)
        if caller is None:
            caller = self._lookup(digest)
            if caller is None:
                self.limiter.failed(keys)
                raise _unauthorized("the token is unknown, revoked or expired")
            self.cache.put(digest, caller)
        req.context.caller = caller

    def _lookup(self, digest: str) -> Caller | None:
        """The token's caller, read once more on a new connection when the database
        dropped the first (a restart, a failover: see `vertice_api.retrying`)."""
        try:
            with self.store.read() as session:
                return caller_for_token(session, digest, datetime.now(UTC))
        except StorageFull:
            raise
        except Unavailable:
            with self.store.read() as session:
                return caller_for_token(session, digest, datetime.now(UTC))


def _unauthorized(description: str) -> falcon.HTTPUnauthorized:
    return falcon.HTTPUnauthorized(
        title="Unauthorized", description=description, challenges=["Bearer"]
    )
