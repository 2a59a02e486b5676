"""Requests the database failed under contention or by losing the connection are run
again while nothing of them was stored (issue 19; `vertice_api.retrying`).

The contention is real: the app's store runs every transaction SERIALIZABLE, as
CockroachDB always does, and concurrent declarations in one project read what the
others write (the project's count against its quota, the names taken), so PostgreSQL
rolls some back with SQLSTATE 40001. The lost connection is real too: the server ends
the request's backend (`pg_terminate_backend`) between two of its transactions.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import attrs
import falcon.testing
import pytest
from sqlalchemy import text

from vertice_api.app import create_app
from vertice_core.accounts import create_user
from vertice_core.errors import Contended, Unavailable
from vertice_core.metrics import Metrics
from vertice_core.store import Store
from vertice_core.store.attempts import attempt
from vertice_testing.api import Api

ROUNDS = 10
SERIALIZABLE = "options=" + quote("-c default_transaction_isolation=serializable")


@pytest.fixture
def serializable(ctx):
    """The test's installation with a store whose transactions are all SERIALIZABLE."""
    if ctx.store.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time: it never rolls a writer back")
    store = Store(f"{ctx.config.database_url}?{SERIALIZABLE}")
    yield attrs.evolve(ctx, store=store, metrics=Metrics())
    store.dispose()


def declare_all(api: Api, names: list[str], threads: int) -> Counter[int]:
    def declare(name: str) -> int:
        return api.declare(name).status_code

    with ThreadPoolExecutor(threads) as pool:
        return Counter(pool.map(declare, names))


def test_concurrent_declarations_rolled_back_under_contention_are_run_again(serializable):
    app = falcon.testing.TestClient(create_app(serializable))
    with serializable.store.write() as session:
        token = create_user(session, "carol", admin=False).token
    carol = Api(app, token, "carol")
    names: list[str] = []
    statuses: Counter[int] = Counter()
    retried = 0.0
    # Rounds until some declarations met a serialization failure (the first round almost
    # always does; which ones is up to the threads' timing).
    for round_ in range(ROUNDS):
        batch = [f"c{round_}-{i:03d}" for i in range(100)]
        statuses += declare_all(carol, batch, threads=16)
        names += batch
        retried = serializable.metrics.value("vertice_db_retries_total", reason="contended")
        if retried:
            break

    assert statuses == Counter({201: len(names)})
    assert retried > 0, "no declaration met a serialization failure: the test proves nothing"
    listed = carol.get("/v3/assembly_factory", params={"items_per_page": 500}).json
    assert listed["total_items"] == len(names)  # each once: names are unique per project


@pytest.fixture
def probe(serializable):
    """A scratch table two transactions read and write (dropped at the end)."""
    with serializable.store.write() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS retry_probe (n int)"))
    yield serializable.store
    with serializable.store.write() as session:
        session.execute(text("DROP TABLE retry_probe"))


def test_a_serialization_failure_is_contended_and_nothing_committed(probe):
    other = probe.write_engine.connect()

    def write_skew() -> None:
        with probe.write() as session:
            session.execute(text("SELECT count(*) FROM retry_probe"))
            # Another transaction reads the same set, adds to it and commits first: each
            # read what the other wrote (write skew), so this one must give way.
            other.execute(text("SELECT count(*) FROM retry_probe"))
            other.execute(text("INSERT INTO retry_probe VALUES (2)"))
            other.commit()
            session.execute(text("INSERT INTO retry_probe VALUES (1)"))

    try:
        with attempt() as record, pytest.raises(Contended, match="40001"):
            write_skew()
        assert record.stored_nothing
        assert issubclass(Contended, Unavailable)  # a 503 when the retries run out
    finally:
        other.close()
    with probe.read() as session:
        assert session.execute(text("SELECT n FROM retry_probe")).scalars().all() == [2]


def test_a_request_whose_connection_is_lost_before_it_wrote_is_run_again_once(ctx):
    if ctx.store.dialect != "postgresql":
        pytest.skip("a SQLite file has no connection to lose")
    app = falcon.testing.TestClient(create_app(ctx))
    with ctx.store.write() as session:
        token = create_user(session, "dave", admin=False).token
    dave = Api(app, token, "dave")
    ended: list[str] = []

    def end_the_connection(sql: str) -> None:
        """At the declaration's first insert, the server ends every connection of the
        database but one of its own, as a restart or a failover does."""
        if sql.startswith("INSERT INTO assemblies") and not ended:
            ended.append(sql)
            with ctx.store.engine.connect() as admin:
                admin.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ))  # fmt: skip
                admin.commit()

    ctx.store.on_statement(end_the_connection)
    answer = dave.declare("web")

    assert ended, "the declaration never inserted: the test proves nothing"
    assert answer.status_code == 201, answer.json
    assert ctx.metrics.value("vertice_db_retries_total", reason="unavailable") == 1
    listed = dave.get("/v3/assembly_factory").json
    assert [a["name"] for a in listed["items"]] == ["web"]
