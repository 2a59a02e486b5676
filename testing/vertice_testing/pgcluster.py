"""A replicated PostgreSQL on 127.0.0.1 for failover tests: a primary and a streaming
standby made with the server's own tools, on ports reserved for them.

`PgPair(folder)` runs `initdb` for the primary, starts it with replication on and
synchronous commit to the standby (`synchronous_standby_names='*'`, given on the
command line so that the standby's copy of the configuration does not carry it: once
promoted, the standby must not wait for a standby of its own), copies it with
`pg_basebackup -R` (the standby's `primary_conninfo` and `standby.signal`) and starts
the standby. `kill_primary()` sends SIGKILL to every process of the primary, as a
machine that dies would; `promote()` runs `pg_ctl promote` on the standby.
`url(database)` is the multi-host URL vertice is given: both hosts, and
`target_session_attrs=read-write`, so a connection goes to whichever one is the
primary. `close()` stops both and removes their folder.

PostgreSQL refuses to run as root: as root, every command runs as the `postgres`
account the Debian package made, in a folder of its own under the system's temporary
folder (a test's `tmp_path` is root's alone).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from vertice_drivers.ports import free_port
from vertice_testing.server import children

#: Where Debian's packages put the server's programs (the newest major version first).
BIN_FOLDERS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def server_binaries() -> Path | None:
    """The folder holding `initdb`, `pg_ctl` and `pg_basebackup`, or None."""
    for folder in BIN_FOLDERS:
        if (folder / "initdb").exists() and (folder / "pg_basebackup").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PgPair:
    """A primary and its synchronous streaming standby, each on its own port."""

    def __init__(self) -> None:
        binaries = server_binaries()
        if binaries is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="vertice-pg-"))
        self.primary = self.folder / "primary"
        self.standby = self.folder / "standby"
        self.ports = {self.primary: free_port(), self.standby: free_port()}
        self._as_postgres = os.geteuid() == 0

    def url(self, database: str = "postgres") -> str:
        hosts = "&".join(f"host=127.0.0.1:{self.ports[d]}" for d in (self.primary, self.standby))
        return (
            f"postgresql+psycopg://postgres@/{database}?{hosts}"
            "&target_session_attrs=read-write&connect_timeout=2"
        )

    def single_url(self, folder: Path, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.ports[folder]}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> str:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr or done.stdout}")
        return done.stdout

    def _options(self, folder: Path, *extra: str) -> str:
        settings = [
            f"-p {self.ports[folder]}", "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={folder}", "-c wal_level=replica",
            "-c max_wal_senders=4", "-c fsync=off", "-c full_page_writes=off",
            "-c shared_buffers=32MB", "-c max_connections=100", *extra,
        ]  # fmt: skip
        return " ".join(settings)

    def _start(self, folder: Path, *extra: str) -> None:
        self._run("pg_ctl", "start", "-w", "-D", str(folder), "-l", str(folder.with_suffix(".log")),
                  "-o", self._options(folder, *extra))  # fmt: skip

    def start(self) -> None:
        """Make and start the primary, then its standby; wait until it replicates in sync."""
        if self._as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run("initdb", "--no-sync", "-A", "trust", "-U", "postgres", "-D", str(self.primary))
        # fsync off: the test kills processes, never the machine, so the OS keeps every
        # write; commits still wait for the standby to confirm them (synchronous_commit).
        self._start(self.primary, "-c synchronous_standby_names='*'")
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports[self.primary]),
                  "-U", "postgres", "-D", str(self.standby), "-R", "-X", "stream")  # fmt: skip
        self._start(self.standby)
        deadline = time.monotonic() + 60
        query = "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'"
        while self.psql(self.primary, query) != "1":
            if time.monotonic() > deadline:
                raise RuntimeError("the standby did not become a synchronous standby in 60 s")
            time.sleep(0.2)

    def psql(self, folder: Path, query: str) -> str:
        """The result of `query` on one server, as psql prints it unaligned."""
        return self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.ports[folder]), "-U", "postgres",
            "-d", "postgres", "-At", "-c", query,
        ).strip()  # fmt: skip

    def postmaster_pid(self, folder: Path) -> int | None:
        try:
            return int((folder / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill_primary(self) -> None:
        """SIGKILL the primary's postmaster and every one of its backends at once."""
        pid = self.postmaster_pid(self.primary)
        assert pid is not None, "the primary is not running"
        for process in [pid, *children(pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, signal.SIGKILL)

    def promote(self) -> None:
        """Make the standby the primary (`pg_ctl promote`, waiting until it accepts writes)."""
        self._run("pg_ctl", "promote", "-w", "-D", str(self.standby))

    def close(self) -> None:
        """Stop whichever servers still run (immediately: the data is thrown away)."""
        for folder in (self.standby, self.primary):
            if self.postmaster_pid(folder) is not None and (folder / "postmaster.pid").exists():
                subprocess.run(
                    (["runuser", "-u", "postgres", "--"] if self._as_postgres else [])
                    + [str(self.bin / "pg_ctl"), "stop", "-m", "immediate", "-D", str(folder)],
                    capture_output=True, timeout=60, check=False,
                )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)
