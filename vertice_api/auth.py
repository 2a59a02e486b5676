"""Bearer-token authentication and the caller's scope.

Every route needs a token except the ones whose resource says `public = True`
(`/healthz`, `/v3/openapi.json`). A token is looked up by its SHA-256 digest;
the answer is cached per worker for a few seconds so that a busy client does
not cost a query per request (a revoked token stops working within that time).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import attrs
import falcon

from vertice_core.crypto import TOKEN_PREFIX, token_digest
from vertice_core.errors import Forbidden, NotFound
from vertice_core.store import Store
from vertice_core.store.repositories import ProjectRepository, UserRepository


@attrs.frozen
class Principal:
    """Who is calling: a user, whether they are an admin, and their projects."""

    user_id: str
    name: str
    admin: bool
    #: Ids of the user's projects, oldest membership first.
    project_ids: tuple[str, ...]
    #: The names of those projects, in the same order.
    project_names: tuple[str, ...] = ()

    def project_name(self, project_id: str) -> str | None:
        """The name of one of the caller's projects (None if it is not theirs)."""
        for pid, name in zip(self.project_ids, self.project_names, strict=False):
            if pid == project_id:
                return name
        return None

    @property
    def scope(self) -> list[str] | None:
        """Project ids the caller may see, or None for "every project" (admins)."""
        return None if self.admin else list(self.project_ids)

    def require_admin(self) -> None:
        """403 unless the caller is an administrator."""
        if not self.admin:
            raise Forbidden("this route is for administrators only")

    def default_project(self) -> str:
        """The project a declaration goes to when it names none."""
        if not self.project_ids:
            raise NotFound("you are not a member of any project")
        return self.project_ids[0]


def principal_of(req: falcon.Request) -> Principal:
    """The authenticated caller of `req`."""
    principal: Principal = req.context.principal
    return principal


class TokenCache:
    """A small per-worker LRU of token digest -> principal, with a time to live."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None or entry[0] < time.monotonic():
                return None
            self._entries.move_to_end(digest)
            return entry[1]

    def put(self, digest: str, principal: Principal) -> None:
        with self._lock:
            self._entries[digest] = (time.monotonic() + self.ttl, principal)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class AuthMiddleware:
    """Resolves `Authorization: Bearer <token>` into `req.context.principal`."""

    def __init__(self, store: Store, cache: TokenCache) -> None:
        self.store = store
        self.cache = cache

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        if resource is None or getattr(resource, "public", False) or req.method == "OPTIONS":
            return
        header = req.get_header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
            raise _unauthorized("send a bearer token: 'Authorization: Bearer vt_...'")
        digest = token_digest(token)
        principal = self.cache.get(digest)
        if principal is None:
            principal = self._lookup(digest)
            if principal is None:
                raise _unauthorized("the token is unknown, revoked or expired")
            self.cache.put(digest, principal)
        req.context.principal = principal

    def _lookup(self, digest: str) -> Principal | None:
        with self.store.read() as session:
            user = UserRepository(session).by_token(digest, datetime.now(UTC))
            if user is None:
                return None
            repository = ProjectRepository(session)
            ids = repository.ids_of_member(user.id)
            names = {p.id: p.name for p in repository.by_ids(ids)}
            return Principal(
                user.id, user.name, user.admin, tuple(ids), tuple(names.get(i, "") for i in ids)
            )


def _unauthorized(description: str) -> falcon.HTTPUnauthorized:
    return falcon.HTTPUnauthorized(
        title="Unauthorized", description=description, challenges=["Bearer"]
    )
