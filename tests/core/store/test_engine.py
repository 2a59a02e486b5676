"""The store's plumbing: the SQLite writers' lock and the connections kept for hot reads."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

from sqlalchemy import text

from vertice_core.store import Store
from vertice_core.store.writelock import WriteLock


def _add_under_lock(lock: WriteLock, counter: Path, times: int) -> None:
    for _ in range(times):
        with lock.held():
            value = int(counter.read_text())
            time.sleep(0)  # let the other process run between the read and the write
            counter.write_text(str(value + 1))


def test_the_write_lock_excludes_other_processes_even_after_a_fork(tmp_path):
    counter = tmp_path / "counter"
    counter.write_text("0")
    lock = WriteLock(tmp_path / "lock")
    with lock.held():  # opened before the fork: each child must open its own
        pass
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_add_under_lock, args=(lock, counter, 200)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert counter.read_text() == "600"  # no increment was lost


def test_the_write_lock_orders_threads_and_is_reentrant(tmp_path):
    lock = WriteLock(tmp_path / "lock")
    inside: list[int] = []
    overlaps = []

    def work(n: int) -> None:
        for _ in range(50):
            with lock.held(), lock.held():  # nested in one thread: no deadlock
                inside.append(n)
                if len(inside) > 1:
                    overlaps.append(tuple(inside))
                inside.remove(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert overlaps == []


def test_sqlite_writes_take_the_lock_file_beside_the_database(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    with store.write() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    assert (tmp_path / "v.db.writelock").exists()
    store.dispose()


def test_read_connections_are_kept_between_blocks_and_never_shared_by_two(db_url):
    store = Store(db_url)
    with store.connect() as first:
        pass
    with store.connect() as again:
        assert again is first
        assert again.execute(text("SELECT 1")).scalar() == 1
        other: list[object] = []  # a block running meanwhile (another thread) gets its own
        thread = threading.Thread(target=lambda: other.append(store.connect().__enter__()))
        thread.start()
        thread.join()
        assert other and other[0] is not first
    store.dispose()
    assert first.closed
    with store.connect() as fresh:
        assert fresh is not first
    store.dispose()


def test_a_connection_per_greenlet_would_leak_so_sequential_blocks_share_one(db_url):
    """An API worker under gevent runs each request in a new greenlet (a new
    `threading.local`): a thousand sequential requests must not open a thousand
    connections."""
    store = Store(db_url)
    seen: set[int] = set()

    def request() -> None:
        with store.connect() as connection:
            seen.add(id(connection))

    for _ in range(50):
        thread = threading.Thread(target=request)  # a new thread: a new threading.local
        thread.start()
        thread.join()
    assert len(seen) == 1
    store.dispose()


def test_no_more_than_max_idle_connections_are_kept(db_url):
    from contextlib import ExitStack

    from vertice_core.store.engine import MAX_IDLE

    store = Store(db_url)
    with ExitStack() as stack:
        held = [stack.enter_context(store.connect()) for _ in range(MAX_IDLE + 3)]
    assert sum(not c.closed for c in held) == MAX_IDLE
    store.dispose()
    assert all(c.closed for c in held)


def test_statement_listeners_see_the_fast_reads(ctx, alice):
    from vertice_core.store.repositories.views import AssemblyViews

    seen: list[str] = []
    assembly_id = alice.declare("counted").json["id"]
    ctx.store.on_statement(seen.append)
    with ctx.store.connect() as connection:
        assert AssemblyViews(connection).one(assembly_id, None).name == "counted"
    assert any("FROM assemblies" in sql for sql in seen)


def test_every_sqlite_connection_has_a_small_page_cache(tmp_path):
    """Each of a process's connections (three engines, each with its pool) would fill
    SQLite's default 2 MB cache; the reconciler holds eight of them."""
    from vertice_core.store.engine import SQLITE_CACHE_KIB

    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    with store.write() as session:
        assert session.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    with store.read() as session:
        assert session.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    with store.connect() as connection:
        assert connection.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    store.dispose()
