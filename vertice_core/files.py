"""Files vertice keeps at rest, private to the user that runs it (mode 0600).

The SQLite database holds token digests and sealed credentials, the simulated cloud's
file the instances of every user: with the usual umask (022) SQLite would create both
readable by every local user (0644). `private_file` creates such a file 0600 before
SQLite opens it, as `load_key` does for the secret key. SQLite's unix VFS gives the
`-wal`, `-shm` and `-journal` files it makes beside a database the mode of the database
file, so they are private too; the process umask is left alone (it is process-wide, and
changing it around one creation would race with the files other threads create).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("vertice.files")


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it is missing; take the group's and others'
    permissions off a file that exists (one made by an older vertice, or by hand).

    A file that cannot be opened is left for its user (SQLite) to report. A file of
    another user cannot be changed: that is logged, not refused, as its owner may share
    it on purpose.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
    except OSError:
        return
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o077:
            try:
                os.fchmod(fd, mode & 0o700)
            except PermissionError:
                log.warning("%s is open to other users (mode %03o) and not ours", path, mode)
    finally:
        os.close(fd)
