"""A throw-away installation for a scenario: its database, its sim region, its processes.

Everything a scenario measures runs as the user would run it: `vertice
reconcile` and `vertice serve --api-only` are real processes, with the
metrics of each written to the installation's multiprocess folder, read here
with prometheus-client. CPU and memory come from `/proc`.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text

from vertice_core import builtins
from vertice_core.accounts import create_user
from vertice_core.convert import make_converter
from vertice_core.ids import new_id
from vertice_core.store import Store, migrate
from vertice_core.store.repositories import AssemblyRepository, RegionRepository, RouteRepository
from vertice_core.store.repositories.placements import PlacementRepository
from vertice_drivers.ports import free_port
from vertice_drivers.sim import cloud_at
from vertice_testing.databases import create_postgres_database, drop_postgres_database
from vertice_testing.server import stop_group

TICKS = os.sysconf("SC_CLK_TCK")
UBUNTU = "1_virtualmachine_ubuntu"
SPEC = {
    "components": [],
    "credential": {"kind": "none", "key_name": "", "public_key": "", "sealed_password": ""},
    "metadata": {"type_definition": "", "mutable": [], "consumer_mutable": []},
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A memory figure of `/proc/PID/status` in MB (`VmRSS`, `VmHWM` for the peak, `RssFile`
    for the part in mapped files' pages)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Installation:
    """A fresh installation on SQLite or PostgreSQL, under a temporary home."""

    def __init__(self, engine: str = "sqlite") -> None:
        self.home = Path(tempfile.mkdtemp(prefix="vertice-bench-"))
        self.engine = engine
        if engine == "sqlite":
            self.url = f"sqlite:///{self.home / 'vertice.db'}"
        else:
            self.url = create_postgres_database()
        self.key = Fernet.generate_key().decode()
        self.metrics_dir = self.home / "metrics"
        self.metrics_dir.mkdir()
        self.store = Store(self.url)
        migrate.upgrade(self.store.engine)
        builtins.seed(self.store, make_converter())
        with self.store.write() as session:
            created = create_user(session, "bench", admin=True)
        self.project_id = created.project.id
        self.token = created.token
        self.processes: list[subprocess.Popen[bytes]] = []

    def env(self, **reconcile: float) -> dict[str, str]:
        """The environment of this installation's processes."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VERTICE_", "PROMETHEUS"))}
        env.update(
            VERTICE_HOME=str(self.home),
            VERTICE_DATABASE_URL=self.url,
            VERTICE_SECRET_KEY=self.key,
            PROMETHEUS_MULTIPROC_DIR=str(self.metrics_dir),
        )
        env.update({f"VERTICE_RECONCILE_{k.upper()}": str(v) for k, v in reconcile.items()})
        return env

    # -- the simulated cloud --

    def configure_sim(self, **settings: Any) -> None:
        """Set the `local` region's sim knobs."""
        with self.store.write() as session:
            regions = RegionRepository(session)
            row = regions.get("local")
            assert row is not None
            regions.update(row, settings=settings)

    def add_sim_region(self, name: str, **settings: Any) -> None:
        """Another sim region: the account `name` of the same simulated cloud."""
        with self.store.write() as session:
            RegionRepository(session).add(
                name=name, cloud_type="sim", settings={"account": name, **settings}
            )

    def sim_calls(self, account: str = "default") -> Counter[str]:
        """Calls the sim audited (in one account), by verb."""
        return Counter(verb for verb, _ in cloud_at(self.home / "sim.db").audited(account))

    def sim_instances(self, account: str = "default") -> list[dict[str, Any]]:
        """Every instance of the sim (in one account), with its state and tags."""
        return list(cloud_at(self.home / "sim.db").all_rows(account))

    # -- declarations and phases --

    def declare(
        self,
        count: int,
        prefix: str = "a",
        replicas: int = 1,
        plan: str = "1_virtualmachine_ubuntu",
        placement: dict[str, Any] | None = None,
        regions: Sequence[str] = ("local",),
    ) -> float:
        """Store `count` declared assemblies (with a `placement`, homed in its first region;
        else dealt over `regions` in turn) in one transaction; return when it committed."""
        rows = [
            {
                "id": new_id("asm"),
                "project_id": self.project_id,
                "name": f"{prefix}{i:05d}",
                "plan_name": plan,
                "region_name": placement["regions"][0] if placement else regions[i % len(regions)],
                "flavor_name": "small",
                "spec": SPEC,
                "replicas": replicas,
                "placement": placement,
            }
            for i in range(count)
        ]
        with self.store.write() as session:
            AssemblyRepository(session).create_many(rows)
            if placement is not None:
                for row in rows:
                    PlacementRepository(session).add(str(row["id"]), placement["regions"])
        return time.monotonic()

    def declare_routes(
        self, targets: Sequence[tuple[str, str]], port: int, tls: str = "off"
    ) -> float:
        """Store a route per (hostname, assembly id) in one transaction, as the API's
        declaration stores them (due for the route controller); return when committed."""
        with self.store.write() as session:
            routes = RouteRepository(session)
            for hostname, assembly_id in targets:
                created = routes.create(project_id=self.project_id, hostname=hostname,
                                        assembly_id=assembly_id, port=port, tls=tls)  # fmt: skip
                if created is None:
                    raise RuntimeError(f"hostname {hostname} is taken")
        return time.monotonic()

    def assembly_ids(self) -> list[str]:
        """The id of every stored assembly, by name."""
        with self.store.connect() as connection:
            found = connection.execute(text("SELECT id FROM assemblies ORDER BY name"))
            return [str(row[0]) for row in found]

    def scale_all(self, replicas: int) -> float:
        """Scale every assembly to `replicas` in one transaction (what a PATCH of
        `/replicas` writes: the count, a new generation, due now); return when committed."""
        with self.store.connect() as connection, connection.begin():
            connection.execute(
                text(
                    "UPDATE assemblies SET replicas = :r, generation = generation + 1,"
                    " due_at = :now"
                ),
                {"r": replicas, "now": time.time()},
            )
        return time.monotonic()

    def running_instances(self) -> int:
        """Instances the sim shows running."""
        return sum(1 for row in self.sim_instances() if row["state"] == "running")

    def live_instances(self) -> int:
        """Instances the sim shows in any state but terminated."""
        return sum(1 for row in self.sim_instances() if row["state"] != "terminated")

    def stored(self) -> int:
        """How many assemblies are stored (one counting query)."""
        with self.store.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM assemblies")).scalar_one())

    def phases(self) -> dict[str, int]:
        """How many assemblies are in each phase."""
        with self.store.read() as session:
            return AssemblyRepository(session).count_by_phase()

    def wait_for(self, check: Callable[[], bool], timeout: float, interval: float = 0.1) -> float:
        """Poll `check()` until it holds; return when it did (monotonic). Fails on timeout."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"not reached within {timeout:.0f}s: {self.phases()}")
            time.sleep(interval)
        return time.monotonic()

    # -- processes --

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start `vertice ARGS` in its own process group, logging to the home."""
        log = (self.home / f"{args[0]}-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "vertice_api.cli", *args],
            env=env or self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def reconciler(self, identity: str = "bench", **reconcile: float) -> subprocess.Popen[bytes]:
        """Start `vertice reconcile --identity IDENTITY` (several, each with its own identity,
        share the work through leases), and wait until it has made its first pass."""
        process = self.start("reconcile", "--identity", identity, env=self.env(**reconcile))
        passes = "vertice_reconcile_passes_total"
        self.wait_for(lambda: self.metric(passes, pid=process.pid) > 0, timeout=60)
        return process

    @contextmanager
    def api(self, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
        """`vertice serve --api-only` on a free port (with `env`, else the installation's
        environment); yields its base URL."""
        url = f"http://127.0.0.1:{free_port()}"
        process = self.start(
            "serve", "--api-only", "--bind", url.removeprefix("http://"), "--workers",
            str(workers), env=env,
        )  # fmt: skip
        try:
            wait_healthy(url)
            yield url
        finally:
            stop(process)

    def metric(self, name: str, pid: int | None = None, **labels: str) -> float:
        """The sum over every process (or the one of `pid`) of the samples of `name` that
        carry `labels`."""
        wanted = set(labels.items())
        return sum(
            value for key, value in self.metrics(pid).get(name, {}).items() if wanted <= set(key)
        )

    def metrics(
        self, pid: int | None = None
    ) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
        """Every sample of every process's metrics (or of the one of `pid`, from its own
        `<kind>_<pid>.db` files): name -> labels -> value.

        A process that is starting may have created its metrics file without sizing it
        yet (prometheus_client then fails on an empty buffer): read again shortly."""
        for attempt in range(20):
            files = [str(f) for f in self.metrics_dir.glob("*.db")
                     if pid is None or f.stem.rsplit("_", 1)[-1] == str(pid)]  # fmt: skip
            found: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
            try:
                for family in MultiProcessCollector.merge(files, accumulate=True):  # type: ignore[no-untyped-call]
                    for sample in family.samples:
                        found[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
            except struct.error:
                if attempt == 19:
                    raise
                time.sleep(0.05)
                continue
            return found
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop every process, drop the database, remove the home."""
        for process in self.processes:
            stop(process)
        self.store.dispose()
        if self.engine != "sqlite":
            drop_postgres_database(self.url)
        shutil.rmtree(self.home, ignore_errors=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a process group; SIGKILL it if it does not stop within 30 s."""
    stop_group(process)


def wait_healthy(url: str, timeout: float = 60) -> None:
    """Wait until `url/healthz` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy")
