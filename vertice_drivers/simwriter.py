"""The simulated cloud's writer thread: every write to its file, committed in batches.

Writes from every thread of the process go through one thread that commits them in
batches (group commit), as a cloud's database would: one SQLite transaction per
write, with hundreds of threads, is a lock convoy. `SimCloud._write` queues a write
and waits for its future.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class Writer:
    """The writer thread of a SimCloud: batches queued writes into one transaction on
    its own connection `db`; `count_live(db, account)` says how many live instances an
    account has, for the writes that need room."""

    #: Most writes committed together.
    BATCH = 500

    def __init__(
        self, db: sqlite3.Connection, count_live: Callable[[sqlite3.Connection, str], int]
    ) -> None:
        self.db = db
        self.count_live = count_live
        self.queue: queue.SimpleQueue[tuple[str, tuple[Any, ...], Any, Future[bool]]] = (
            queue.SimpleQueue()
        )
        self.thread = threading.Thread(target=self._run, name="sim-writer", daemon=True)
        self.thread.start()

    def submit(
        self, sql: str, params: tuple[Any, ...], room: tuple[str, int] | None
    ) -> Future[bool]:
        """Queue a write; the future says whether it was done (False: no room)."""
        future: Future[bool] = Future()
        self.queue.put((sql, params, room, future))
        return future

    def _run(self) -> None:
        db = self.db
        while True:
            batch = [self.queue.get()]
            while len(batch) < self.BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(db, batch)

    def _commit(
        self,
        db: sqlite3.Connection,
        batch: list[tuple[str, tuple[Any, ...], Any, Future[bool]]],
    ) -> None:
        outcomes: list[tuple[Future[bool], bool | BaseException]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            for sql, params, room, future in batch:
                try:
                    if room is not None and self.count_live(db, room[0]) >= room[1]:
                        outcomes.append((future, False))
                        continue
                    db.execute(sql, params)
                    outcomes.append((future, True))
                except sqlite3.Error as exc:  # this write alone fails (a duplicate key)
                    outcomes.append((future, exc))
            db.execute("COMMIT")
        except sqlite3.Error as exc:  # the transaction failed: every write in it did
            if db.in_transaction:
                db.execute("ROLLBACK")
            outcomes = [(future, exc) for *_, future in batch]
        for future, outcome in outcomes:
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
