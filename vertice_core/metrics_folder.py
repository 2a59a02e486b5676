"""The folder where the processes of one installation on one machine share their metrics.

prometheus-client's multiprocess mode: every process writes its values to files
`<kind>_<pid>.db` in the folder `PROMETHEUS_MULTIPROC_DIR` names, and the API's `/metrics`
sums every file there. The folder is named after `VERTICE_HOME` (`folder_for`), so the
processes of an installation find the same one whoever starts them: `vertice serve`'s
children, or an operator's gunicorn (`vertice_api.gunicorn_conf`) and a `vertice
reconcile` started apart, whose metrics `/metrics` then carries too (issue 16). A folder
named in `PROMETHEUS_MULTIPROC_DIR` is used as it is: nothing here changes or empties it.

One process never removes another's live files. The files of a process that has ended
(no process has its pid) are removed by `tidy`: its live gauges always (what
prometheus-client's `mark_process_dead` does when a process ends cleanly), its counts
only when no sum is carried on. Those of a process that ended are part of every sum the
API's `/metrics` answers, which must not go down while it serves: so they go when the
API starts or stops (its sums start afresh), or when a reconciler starts or stops with no
other process of the installation alive to sum them. A pid another process has taken
since keeps its files until that process ends too.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

from vertice_core.config import Config

#: A RAM file system most Linux machines have: where the metrics files go when it is there.
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 -- a folder made ours, 0700 (`_ours`)
#: The variable prometheus-client reads the folder from.
VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def folder_for(config: Config) -> Path:
    """The installation's metrics folder on this machine (unless it cannot be made ours).

    prometheus-client maps its files into memory and grows them as series appear: on a
    full disk a write into a mapped page the file system cannot back kills the process
    with SIGBUS, and gunicorn's workers died in a loop when the database's disk filled
    (issue 17). So the files live in RAM (`/dev/shm`), in a folder named after the home
    folder (two installations on one machine keep theirs apart), else under the home.
    """
    if SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK | os.X_OK):
        key = hashlib.sha256(str(config.home).encode()).hexdigest()[:16]
        return SHARED_MEMORY / f"vertice-metrics-{key}"
    return config.home / "metrics"


def claim(config: Config) -> Path | None:
    """Name the installation's folder in `PROMETHEUS_MULTIPROC_DIR`, made if it is not
    there; None when the variable names one already. A folder that cannot be ours (another
    user's, a link someone planted in the shared `/dev/shm`) gives way to the one under
    the home folder, and does so for every process of the installation alike."""
    if os.environ.get(VARIABLE):
        return None
    for folder in dict.fromkeys((folder_for(config), config.home / "metrics")):
        if _ours(folder):
            os.environ[VARIABLE] = str(folder)
            _multiprocess_from_now()
            return folder
    raise RuntimeError(f"no folder for the metrics: {folder_for(config)} cannot be made")


def _multiprocess_from_now() -> None:
    """Have the metrics made from now on write to the folder, though prometheus-client
    was imported before it was named (its mode is chosen at import): the command's
    settings are checked first, and that imports it (`vertice reconcile` and `vertice
    serve --api-only` had no files, and the latter's `/metrics` was empty). The library
    reads `values.ValueClass` at each metric's making so that it can be set so; none is
    made before (`Metrics` is made in `main` or `create_app`, after this)."""
    if "prometheus_client" in sys.modules:
        from prometheus_client import values

        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def _ours(folder: Path) -> bool:
    """Whether `folder` is (made if missing) a folder of this user's, closed to others."""
    try:
        folder.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        found = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
        return False
    # Ours, so no one else may rename or replace it in the sticky `/dev/shm`.
    os.chmod(folder, 0o700)
    return True


def writer(path: Path) -> int | None:
    """The pid in a prometheus-client file's name (`counter_1234.db`), else None."""
    if path.suffix != ".db":
        return None
    tail = path.stem.rpartition("_")[2]
    return int(tail) if tail.isdecimal() and int(tail) > 0 else None


def alive(pid: int) -> bool:
    """Whether a process with this pid runs (or is a zombie not yet reaped) here."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def tidy(folder: Path, *, counts: bool) -> None:
    """Remove the files of the processes that have ended: live gauges, and with `counts`
    the rest too (see the module for when a sum may lose them)."""
    for path in folder.glob("*.db"):
        pid = writer(path)
        if pid is None or alive(pid):
            continue
        if counts or path.name.startswith("gauge_live"):
            path.unlink(missing_ok=True)


def others_alive(folder: Path) -> bool:
    """Whether a process other than this one has files in the folder and runs."""
    me = os.getpid()
    pids = {writer(path) for path in folder.glob("*.db")} - {None, me}
    return any(alive(pid) for pid in pids if pid is not None)


def open_for_api(config: Config) -> Path | None:
    """At the API's start, in the process its workers fork from: `claim`, then `tidy`
    everything of ended processes (the API's sums start afresh)."""
    folder = claim(config)
    if folder is not None:
        tidy(folder, counts=True)
    return folder


def close_for_api(folder: Path | None) -> None:
    """At the API's exit, its workers gone: `tidy` everything of ended processes (RAM is
    not for leftovers); the files of a reconciler still running stay."""
    if folder is not None:
        tidy(folder, counts=True)


def open_for_reconciler(config: Config) -> Path | None:
    """At a reconciler's start (`vertice reconcile`): `claim`, then `tidy` ended processes'
    live gauges, and their counts too when no other process is alive to sum them."""
    folder = claim(config)
    if folder is not None:
        tidy(folder, counts=not others_alive(folder))
    return folder


def close_for_reconciler(folder: Path | None) -> None:
    """At a reconciler's exit: when no other process is alive to sum them, remove its own
    files and those of ended processes; else they stay, summed (its live gauges are gone:
    `vertice_core.metrics.process_ended`)."""
    if folder is None or others_alive(folder):
        return
    me = os.getpid()
    for path in folder.glob("*.db"):
        if writer(path) == me:
            path.unlink(missing_ok=True)
    tidy(folder, counts=True)
