"""A running build's `StoredLog` against the real store: the builder's thread and the
heartbeat store the log at the same time, and no text is stored twice or lost."""

from __future__ import annotations

import threading
import time

from vertice_core.building.logsink import StoredLog
from vertice_core.building.run import LEASE
from vertice_core.store.repositories.builds import BuildRepository

HOLDER = "this-reconciler"
THREADS, ROUNDS = 4, 25


def test_flushes_from_several_threads_store_each_line_once_in_order_of_offset(
    alice, ctx, repository, source_url
):
    repository({"index.html": "x\n"})
    alice.declare("app", source={"url": source_url})
    (build,) = alice.get("/v3/builds", params={"assembly": "app"}).json["items"]
    with ctx.store.write() as session:
        assert BuildRepository(session).claim(build["id"], HOLDER, time.time(), LEASE)
    sink = StoredLog(ctx.store, build["id"], HOLDER, limit=1_000_000, lease=LEASE,
                     on_cancel=lambda: None, interval=0.001)  # fmt: skip
    sink.start()  # the heartbeat flushes too, all the time
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        start.wait()
        try:
            for i in range(ROUNDS):
                sink.write(f"thread {n} line {i}\n")
                sink.flush()  # as the run does after the fetch and the builder's choice
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sink.close()
    assert failures == []
    with ctx.store.read() as session:
        builds = BuildRepository(session)
        text = builds.log(build["id"], 0, 1_000_000)
        (row,) = builds.rows([build["id"]])
    lines = text.splitlines()
    assert sorted(lines) == sorted(f"thread {n} line {i}" for n in range(THREADS)
                                   for i in range(ROUNDS))  # fmt: skip
    for n in range(THREADS):  # each thread's lines in the order it wrote them
        mine = [line for line in lines if line.startswith(f"thread {n} ")]
        assert mine == [f"thread {n} line {i}" for i in range(ROUNDS)]
    assert row.log_size == len(text) == sink.size
