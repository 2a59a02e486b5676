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


def test_a_fresh_installation_keeps_its_files_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with umask(0o022), running_server(home):
        # The reconciler opens the sim region's file once it runs: seconds after the API.
        until(lambda: all((home / name).exists() for name in PRIVATE), "the files of serve")
        # SQLite's -wal and -shm files, while they exist, take their database file's mode.
        made = {p.name: oct(mode(p)) for p in home.iterdir() if p.name.startswith(PRIVATE)}
    assert {f"{name}{end}" for name in ("vertice.db", "sim.db") for end in ("-wal", "-shm")} <= set(
        made
    ), made
    assert made == dict.fromkeys(made, oct(0o600))


def test_a_database_left_readable_is_tightened_on_start(tmp_path: Path) -> None:
    path = tmp_path / "vertice.db"
    path.touch()
    path.chmod(0o644)
    Store(f"sqlite:///{path}").dispose()
    assert oct(mode(path)) == oct(0o600)
