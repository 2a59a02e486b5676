"""`LiveConfig`: Caddy's configuration as `observe()` read it, kept in step with our writes.

A pass reads the configuration once (`read`, from `observe`); the `apply`
and `remove` calls of the same pass decide from that copy (`current`) and
every write they send is mirrored into it, so the next call sees what Caddy
now holds without asking again: one `GET /config/` per pass, not one per
route. `current` reads when nothing is kept (a router used without
`observe`, or after `forget`).

The copy is only as fresh as the last read plus our own writes: another
writer (an operator, another installation) may have changed Caddy since.
The router therefore forgets the copy when a call fails, and retries a
refused write once against a fresh read (see `CaddyRouter.apply`). Callers
hold `lock` around a read-decide-write sequence: the route controller runs
several `apply` calls at once, and two inserts into one server's `routes`
array must each see the other's.
"""

from __future__ import annotations

import threading
from typing import Any

from vertice_router_caddy.client import AdminClient, etag
from vertice_router_caddy.translate import SERVERS, TLS_PATHS, dig

#: The arrays vertice's tagged objects live in (`@id` lookups search these only).
TAGGED_ARRAYS = (
    *(("apps", "http", "servers", server, "routes") for server in SERVERS),
    *TLS_PATHS.values(),
)


class LiveConfig:
    """One proxy's configuration as last read, with the writes made since (see module)."""

    def __init__(self, admin: AdminClient) -> None:
        self.admin = admin
        self.lock = threading.RLock()
        self._config: Any = None
        self._kept = False

    def read(self) -> Any:
        """Read the whole configuration (one `GET /config/`) and keep it."""
        with self.lock:
            self._kept = False
            config = self.admin.config() or {}
            self._config, self._kept = config, True
            return config

    def current(self) -> Any:
        """The kept configuration, or a fresh read when none is kept."""
        with self.lock:
            return self._config if self._kept else self.read()

    @property
    def kept(self) -> bool:
        """Whether `current()` would answer without a read."""
        return self._kept

    def forget(self) -> None:
        """Drop the kept copy: the next `current()` reads."""
        with self.lock:
            self._config, self._kept = None, False

    # -- writes, each one admin call mirrored into the copy --

    def create(self, path: tuple[str, ...], value: Any) -> None:
        """Create `value` at `path`, making the missing objects above it (one PUT)."""
        config = self.current()
        depth = 0
        node: Any = config
        while depth < len(path) - 1 and isinstance(node, dict) and path[depth] in node:
            node = node[path[depth]]
            depth += 1
        body = value
        for key in reversed(path[depth + 1 :]):
            body = {key: body}
        self.admin.call("PUT", config_path(path[: depth + 1]), body)
        node = config
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value

    def put(self, path: tuple[str, ...], value: Any, before: Any) -> None:
        """Replace the value at `path`, which the kept copy says is `before` (one PATCH
        with `If-Match`: Caddy answers 412, raised as `client.Stale`, if it changed)."""
        where = config_path(path)
        self.admin.call("PATCH", where, value, if_match=etag(where, before))
        if not self._kept:
            return
        node = self._config
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value

    def insert(self, path: tuple[str, ...], index: int, value: Any) -> None:
        """Insert `value` into the array at `path` before `index` (PUT .../index)."""
        self.admin.call("PUT", f"{config_path(path)}/{index}", value)
        self._array(path).insert(index, value)

    def append(self, path: tuple[str, ...], value: Any) -> None:
        """Append `value` to the array at `path` (POST)."""
        self.admin.call("POST", config_path(path), value)
        self._array(path).append(value)

    def replace(self, tag: str, value: Any) -> None:
        """Replace the object tagged `@id` `tag` (PATCH /id/tag)."""
        self.admin.call("PATCH", f"/id/{tag}", value)
        found = self._find(tag)
        if found is not None:
            items, index = found
            items[index] = value

    def delete(self, tag: str) -> None:
        """Delete the object tagged `tag`; one that is not there is a success."""
        self.admin.call("DELETE", f"/id/{tag}", missing_ok=True)
        found = self._find(tag)
        if found is not None:
            items, index = found
            del items[index]

    def _array(self, path: tuple[str, ...]) -> list[Any]:
        """The array at `path` in the kept copy (a throwaway list when none is kept)."""
        if not self._kept:
            return []
        items = dig(self._config, path)
        if not isinstance(items, list):
            # Caddy took the write, so the array exists there: our copy is stale.
            self.forget()
            return []
        return items

    def _find(self, tag: str) -> tuple[list[Any], int] | None:
        """The array and index of the object tagged `tag` in the kept copy, if any."""
        if not self._kept:
            return None
        for path in TAGGED_ARRAYS:
            items = dig(self._config, path)
            for index, item in enumerate(items if isinstance(items, list) else ()):
                if isinstance(item, dict) and item.get("@id") == tag:
                    return items, index
        return None


def config_path(path: tuple[str, ...]) -> str:
    """The admin API path of a configuration path."""
    return "/config/" + "/".join(path)
