"""One reconciler per lease identity on a machine.

Leases name their holder: two reconcilers running under one identity would each take
the other's leases for their own and act on the same assemblies at once (two creates
of one instance). `vertice serve` names its reconciler after the machine and the home
folder, so a second `vertice serve` of the same home did exactly that. A reconciler
now holds an exclusive lock on a file named after its identity, under the home, for
as long as it runs (the kernel drops it when the process dies, however it dies); a
second one fails to take it and stops with one line. Reconcilers on other machines
are told apart by their identities, which name the machine.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from vertice_core.errors import ConfigurationError


class IdentityTaken(ConfigurationError):
    """Another process of this machine runs a reconciler under the same identity."""


def lock_path(home: Path, identity: str) -> Path:
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return home / "run" / f"reconciler-{digest}.lock"


def hold(home: Path, identity: str) -> int:
    """Take the identity's lock for this process (its file descriptor, kept open until the
    process ends); `IdentityTaken`, saying which process holds it, when another does."""
    path = lock_path(home, identity)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise IdentityTaken(
            f"a reconciler with identity {identity!r} already runs on this machine (pid "
            f"{holder}): stop it first, or give this one another --identity"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def taken(home: Path, identity: str) -> bool:
    """Whether a running process holds the identity's lock (taken and given back at once)."""
    try:
        fd = hold(home, identity)
    except IdentityTaken:
        return True
    os.close(fd)
    return False
