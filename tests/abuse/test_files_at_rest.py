"""Issue 17, item 12: the files a fresh installation keeps at rest are its user's alone.

The SQLite database (token digests, sealed credentials) and the simulated cloud's file
were created 0644 under the usual umask, readable by every local user, while the secret
key was 0600. A fresh installation is made and served under umask 022, as a shell gives
it, and every file it leaves (with SQLite's `-wal` and `-shm`) must be mode 0600.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vertice_core.store import Store
from vertice_testing.server import running_server
from vertice_testing.waiting import until

#: The files of an installation's home that must be private, each made by a fresh one.
PRIVATE = ("vertice.db", "sim.db", "secret.key")
#: Those files, and SQLite's -wal and -shm of each database.
EXPECTED = {*PRIVATE, *(f"{db}{end}" for db in PRIVATE[:2] for end in ("-wal", "-shm"))}


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """The process umask (inherited by the `vertice` commands) is `mask` in the block."""
    before = os.umask(mask)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def listing(home: Path) -> dict[str, str] | None:
    """The modes of the private files in `home` (with SQLite's `-wal` and `-shm`), once
    every one of them exists; None before, or when one went while it was listed."""
    try:
        made = {p.name: oct(mode(p)) for p in home.iterdir() if p.name.startswith(PRIVATE)}
    except FileNotFoundError:  # no home yet, or a -wal or -shm removed while listed
        return None
    return made if set(made) >= EXPECTED else None


def test_a_fresh_installation_keeps_its_files_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    found: dict[str, str] = {}

    def complete() -> bool:
        made = listing(home)
        found.update(made or {})
        return made is not None

    with umask(0o022), running_server(home):
        # The reconciler opens the sim region's file once it runs: seconds after the API;
        # SQLite's -wal and -shm files exist while a connection is open, and take their
        # database file's mode. One listing must hold them all (they may come and go).
        until(complete, "the files of serve")
    assert set(found) >= EXPECTED
    assert found == dict.fromkeys(found, oct(0o600))


def test_a_database_left_readable_is_tightened_on_start(tmp_path: Path) -> None:
    path = tmp_path / "vertice.db"
    path.touch()
    path.chmod(0o644)
    Store(f"sqlite:///{path}").dispose()
    assert oct(mode(path)) == oct(0o600)
