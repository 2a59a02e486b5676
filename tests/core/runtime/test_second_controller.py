"""A second controller on the runtime: its own table, its own leases, its own outside world.

`Mirror` makes rows of a `mirrors` table real as keys of a per-target key-value
store (the "outside world" a real controller would reach through a driver or
a proxy's API). It supplies only `due`, `run_target`, `target_failed` and a pure
plan; scheduling, target backoff, leases, bounded calls, pipelined batches and
row backoff come from `vertice_core.runtime`. That is how the route, build and
metering controllers of the next issues are written (see docs/controllers.md).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

import attrs
import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, select, update

from vertice_core.errors import DriverError, TransientError
from vertice_core.metrics import Metrics
from vertice_core.runtime import (
    CallPool,
    Due,
    Leases,
    Pending,
    Pipeline,
    Runtime,
    RuntimeSettings,
    backoff,
)
from vertice_core.store import Store

METADATA = MetaData()
MIRRORS = Table(
    "mirrors",
    METADATA,
    Column("id", String(32), primary_key=True),
    Column("target", String(32), nullable=False),
    Column("value", String(64), nullable=False),
    Column("status", String(64), nullable=False, default=""),
    Column("attempts", Integer, nullable=False, default=0),
    Column("due_at", Float, nullable=True),
)
MIRROR_LEASES = Table(
    "mirror_leases",
    METADATA,
    Column("mirror_id", String(32), primary_key=True),
    Column("holder", String(64), nullable=False, default=""),
    Column("expires_at", Float, nullable=False, default=0.0),
)
LEASES = Leases(MIRROR_LEASES, MIRROR_LEASES.c.mirror_id)


class World:
    """The outside world: one key-value store per target, which can fail."""

    def __init__(self) -> None:
        self.stores: dict[str, dict[str, str]] = {"east": {}, "west": {}}
        self.down: set[str] = set()
        self.flaky: Counter[str] = Counter()  # row id -> writes left to fail
        self.writes: Counter[str] = Counter()
        self.lock = threading.Lock()

    def read(self, target: str) -> dict[str, str]:
        if target in self.down:
            raise TransientError(f"{target} does not answer", reason="TargetDown")
        return dict(self.stores[target])

    def write(self, target: str, key: str, value: str) -> None:
        with self.lock:
            if self.flaky[key] > 0:
                self.flaky[key] -= 1
                raise TransientError(f"{key}: try again", reason="Flaky")
            self.writes[key] += 1
            self.stores[target][key] = value


def plan(value: str, seen: str | None) -> str | None:
    """The pure plan of one row: the value to write, or None when the world agrees."""
    return None if seen == value else value


@attrs.define
class _Batch:
    rows: list[Any]
    pending: Pending[Any]

    def ready(self) -> bool:
        return self.pending.done()


class Mirror:
    """The second controller: mirrors rows into `World`, one pass per target."""

    name = "mirrors"

    def __init__(self, store: Store, world: World, holder: str, metrics: Metrics) -> None:
        self.store, self.world, self.holder = store, world, holder
        self.calls = CallPool(8, metrics)
        self.rng = random.Random(1)
        self.failed_targets: list[str] = []

    def due(self, now: float) -> Due:
        with self.store.connect() as db:
            rows = db.execute(select(MIRRORS.c.target, MIRRORS.c.due_at)).all()
        due = [(t, at) for t, at in rows if at is not None and at <= now]
        return Due(
            targets=sorted({t for t, _ in rows}),
            counts=Counter(t for t, _ in due),
            oldest=min((at for _, at in due), default=None),
        )

    def run_target(self, target: str) -> Any:
        # The rows first, then the world: a row another process writes after this read
        # is caught by the re-read under the lease below. Read after observing, a row
        # written just before the read would pair a new status with an old observation.
        with self.store.connect() as db:
            rows = db.execute(select(MIRRORS).where(MIRRORS.c.target == target)).all()
        seen = self.world.read(target)  # observe once; a DriverError fails the target
        now = time.time()
        todo = [
            r
            for r in rows
            if plan(r.value, seen.get(r.id)) is not None and not (r.due_at or 0) > now
        ]
        with self.store.connect() as db, db.begin():
            won = LEASES.claim(db, [r.id for r in todo], self.holder, now, ttl=30)
            # Re-read under the lease: a row another process wrote since our first read
            # may reflect a newer view of the world than our observation. Leave it.
            fresh = {r.id: r for r in db.execute(select(MIRRORS).where(MIRRORS.c.id.in_(won)))}
            mine = [r for r in todo if r.id in won and fresh[r.id] == r]
            LEASES.release(db, won - {r.id for r in mine}, self.holder)
        results = {"written": 0}

        def complete(batch: _Batch) -> bool:
            outcomes = batch.pending.results()
            with self.store.connect() as db, db.begin():
                for row, value in zip(batch.rows, outcomes, strict=True):
                    failed = isinstance(value, DriverError)
                    attempts = row.attempts + 1 if failed else 0
                    retry = backoff(attempts - 1, base=0.05, cap=0.4, rng=self.rng)
                    db.execute(
                        update(MIRRORS)
                        .where(MIRRORS.c.id == row.id)
                        .values(
                            status=f"failed: {value.reason}" if failed else "Synced",
                            attempts=attempts,
                            due_at=now + retry if failed else None,
                        )
                    )
                    results["written"] += 1
                LEASES.release(db, [r.id for r in batch.rows], self.holder)
            return any(isinstance(v, DriverError) for v in outcomes)

        pipeline: Pipeline[_Batch] = Pipeline(complete)
        for start in range(0, len(mine), 4):  # small batches, so several are in flight
            chunk = mine[start : start + 4]
            calls = [("kv", "write", _writer(self.world, target, r.id, r.value)) for r in chunk]
            pipeline.add(_Batch(chunk, self.calls.submit(calls, timeout=5)))
        busy = pipeline.drain()
        return Result(target, busy=busy or len(mine) < len(todo), written=results["written"])

    def target_failed(self, target: str, error: DriverError) -> None:
        self.failed_targets.append(target)
        with self.store.connect() as db, db.begin():
            db.execute(
                update(MIRRORS)
                .where(MIRRORS.c.target == target)
                .values(status=f"target down: {error.reason}")
            )

    def error_result(self, target: str, message: str) -> Result:
        return Result(target, error=message)

    def close(self) -> None:
        self.calls.shutdown()


@attrs.frozen
class Result:
    target: str
    busy: bool = False
    error: str | None = None
    written: int = 0


def _writer(world: World, target: str, key: str, value: str) -> Any:
    return lambda: world.write(target, key, value)


SETTINGS = RuntimeSettings(resync=0.3, poll=0.05, idle_wait=0.01, backoff_base=0.2, backoff_cap=1)


@pytest.fixture
def mirror_store(tmp_path) -> Any:
    store = Store(f"sqlite:///{tmp_path / 'mirrors.db'}")
    METADATA.create_all(store.engine)
    yield store
    store.dispose()


def declare(store: Store, count: int) -> list[str]:
    ids = [f"m{i:03d}" for i in range(count)]
    with store.connect() as db, db.begin():
        db.execute(
            MIRRORS.insert(),
            [
                {"id": i, "target": ("east", "west")[n % 2], "value": f"v-{i}", "status": "",
                 "attempts": 0, "due_at": 0.0}
                for n, i in enumerate(ids)
            ],
        )  # fmt: skip
        db.execute(MIRROR_LEASES.insert(), [{"mirror_id": i} for i in ids])
    return ids


def statuses(store: Store) -> Counter[str]:
    with store.connect() as db:
        return Counter(db.execute(select(MIRRORS.c.status)).scalars())


def run_until(runtime: Runtime[Any], done, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "did not converge"
        runtime.run_pass()
        time.sleep(SETTINGS.idle_wait)


def make(
    store: Store, world: World, holder: str = "one", settings: RuntimeSettings = SETTINGS
) -> tuple[Runtime[Any], Mirror]:
    controller = Mirror(store, world, holder, Metrics())
    runtime = Runtime(controller, settings, metrics=Metrics(), rng=random.Random(2))
    return runtime, controller


def test_a_second_controller_converges_its_own_table(mirror_store):
    world = World()
    ids = declare(mirror_store, 20)
    world.flaky.update({ids[0]: 2, ids[1]: 1})
    runtime, controller = make(mirror_store, world)
    try:
        run_until(runtime, lambda: statuses(mirror_store) == {"Synced": 20})
    finally:
        runtime.close()
        controller.close()
    assert world.stores["east"] | world.stores["west"] == {i: f"v-{i}" for i in ids}
    assert set(world.writes.values()) == {1}, "a row was written twice"


def test_a_failing_target_is_backed_off_and_its_rows_are_told(mirror_store):
    world = World()
    declare(mirror_store, 6)
    world.down.add("west")
    # A backoff of 1 to 2 s: the next pass comes well within it, even on a loaded machine.
    slow_retry = attrs.evolve(SETTINGS, backoff_base=2, backoff_cap=2)
    runtime, controller = make(mirror_store, world, settings=slow_retry)
    try:
        results = runtime.run_pass()
        assert sorted(r.error is not None for r in results) == [False, True]
        assert controller.failed_targets == ["west"]
        assert statuses(mirror_store)["target down: TargetDown"] == 3
        # Backed off: the next passes leave west alone until its backoff ends...
        runtime.run_pass()
        assert controller.failed_targets == ["west"]
        # ...then look again and converge once it answers.
        world.down.clear()
        run_until(runtime, lambda: statuses(mirror_store) == {"Synced": 6})
    finally:
        runtime.close()
        controller.close()


def test_a_transient_row_failure_backs_the_row_off(mirror_store):
    world = World()
    (first, *_) = declare(mirror_store, 2)
    world.flaky[first] = 1
    runtime, controller = make(mirror_store, world)
    try:
        runtime.run_pass()
        with mirror_store.connect() as db:
            row = db.execute(select(MIRRORS).where(MIRRORS.c.id == first)).one()
        assert (row.status, row.attempts) == ("failed: Flaky", 1)
        assert row.due_at > time.time() - 1  # retried after its backoff, not at once
        run_until(runtime, lambda: statuses(mirror_store) == {"Synced": 2})
    finally:
        runtime.close()
        controller.close()


def test_two_processes_share_the_rows_through_leases(mirror_store):
    world = World()
    ids = declare(mirror_store, 40)
    pairs = [make(mirror_store, world, holder) for holder in ("one", "two")]
    stop = threading.Event()
    threads = [threading.Thread(target=runtime.run_forever, args=(stop,)) for runtime, _ in pairs]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 20
        while statuses(mirror_store) != {"Synced": 40}:
            assert time.monotonic() < deadline, statuses(mirror_store)
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for runtime, controller in pairs:
            runtime.close()
            controller.close()
    assert sum(world.writes.values()) == len(ids)
    assert set(world.writes.values()) == {1}, "both processes wrote the same row"
