"""The one-click catalog on a real engine: each built-in catalog plan is declared by alice on
a docker region, reconciled until RUNNING, and used at its published 127.0.0.1 port: HTTP for
the static server, Apache and the Python application, SQL for PostgreSQL, PING for Redis,
and the Python application's `/db` against the PostgreSQL assembly.

The two containers of that last test talk over a user-defined bridge network: the region's
`network` setting (`DockerSettings.network`) attaches every container it makes to it, and
the engine's DNS on such a network answers a container's name (`vertice-<installation>-
<key>`), so pyhello's `DATABASE_URL` names the database's container by its name, port 5432
(the container's own port, not the one published on the host: containers cannot reach the
host's 127.0.0.1).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import docker.errors
import pytest

from vertice_core import builtins
from vertice_core.driver import TAG_INSTALLATION
from vertice_testing.waiting import until

#: One xdist worker runs the docker tests that load the machine (builds, image making) and
#: those that measure failed requests under load, one after the other (`--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("docker-load")

PLANS = Path(builtins.__file__).parent / "plans"
PASSWORD = "catalog-S3cret-'quoted\\"  # a quote and a backslash: the entrypoints escape them

_networks = itertools.count(1)


def given(plan: str, values: dict[str, str]) -> dict[str, dict[str, str]]:
    """The declaration's field for the plan's inputs `values` (by input name); the plan
    must have each (the core refuses an unknown one with a 422)."""
    declared = {item["name"] for item in json.loads((PLANS / f"{plan}.json").read_text())["inputs"]}
    assert set(values) <= declared, (plan, values)
    return {"inputs": values}


@pytest.fixture
def catalog(admin, alice, app_images, docker_region, installation, engine_client, make_reconciler,
            converge):  # fmt: skip
    """`catalog(name, plan, **values)`: alice's assembly of a catalog plan on the region
    `dock` (its containers on a network of the test's own), reconciled until RUNNING; its
    instance's document. The containers and the network are removed afterwards."""
    network = engine_client.networks.create(f"vt-catalog-{os.getpid()}-{next(_networks)}")
    docker_region(network=network.name)
    reconciler = make_reconciler()

    def launch(name: str, plan: str, **values: str) -> dict:
        created = alice.declare(name, plan_uri=f"/v3/plan/{plan}", region="dock",
                                **given(plan, values))  # fmt: skip
        assert created.status_code == 201, created.json
        uri = created.headers["location"]
        phase = lambda: alice.get(uri).json["status"]["phase"]  # noqa: E731
        converge(reconciler, lambda: phase() == "RUNNING", timeout=120)
        (instance,) = alice.get(uri).json["status"]["instances"]
        return instance

    yield launch
    # The network goes once its containers have (the `installation` fixture removes them
    # too, but after this one's teardown).
    label = f"{TAG_INSTALLATION}={installation}"
    for container in engine_client.containers.list(all=True, filters={"label": label}):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
    with contextlib.suppress(docker.errors.NotFound):
        network.remove()


def address(instance: dict) -> tuple[str, int]:
    (published,) = instance["access"]
    host, _, port = published.rpartition(":")
    assert host == "127.0.0.1"
    return host, int(port)


def get(url: str, method: str = "GET") -> tuple[int, str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def answering(url: str) -> str:
    """The body of GET `url` once the server inside answers 200 (30 s at most)."""

    def attempt() -> str | None:
        try:
            status, body = get(url)
        except OSError:
            return None
        return body if status == 200 else None

    return until(attempt, f"{url} answers", timeout=30)


def test_the_static_web_server_serves_its_welcome_page(catalog, engine_client):
    instance = catalog("site", "4_webserver_static")
    host, port = address(instance)
    assert "Welcome to vertice static" in answering(f"http://{host}:{port}/")
    container = engine_client.containers.get(instance["cloud_id"])
    assert container.image.tags and "localhost/vertice-app-static:latest" in container.image.tags
    assert container.exec_run(["id", "-u"]).output.decode().strip() == "10001"


def test_the_seeds_apache_runs_unprivileged_on_8080(catalog, engine_client):
    instance = catalog("apache", "3_webserver_apache")
    host, port = address(instance)
    assert "<h1>vertice apache</h1>" in answering(f"http://{host}:{port}/")
    status, _ = get(f"http://{host}:{port}/missing")
    assert status == 404
    container = engine_client.containers.get(instance["cloud_id"])
    assert container.exec_run(["id", "-un"]).output.decode().strip() == "www-data"
    accesses = lambda: container.logs(stderr=False).decode()  # noqa: E731
    until(lambda: '"GET /missing HTTP/1.1" 404' in accesses(), "the access is logged", 10)


def connect(port: int, password: str, **more):
    import psycopg

    return psycopg.connect(host="127.0.0.1", port=port, user="app", password=password,
                           dbname="app", connect_timeout=5, **more)  # fmt: skip


def ready(port: int, password: str):
    """A connection once the database accepts the login (60 s at most: initdb first)."""
    import psycopg

    def attempt():
        try:
            return connect(port, password)
        except psycopg.OperationalError:
            return None

    return until(attempt, "PostgreSQL accepts the login", timeout=60, step=0.5)


def test_postgresql_takes_the_password_it_was_given_and_no_other(catalog):
    import psycopg

    instance = catalog("db", "6_database_postgresql", password=PASSWORD)
    _, port = address(instance)
    with ready(port, PASSWORD) as connection:
        row = connection.execute("SELECT current_user, current_database(), "
                                 "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
                                 ).fetchone()  # fmt: skip
        assert row == ("app", "app", False)
        connection.execute("CREATE TABLE t (n int)")
        connection.execute("INSERT INTO t VALUES (1), (2)")
        assert connection.execute("SELECT sum(n) FROM t").fetchone() == (3,)
        version = connection.execute("SHOW server_version").fetchone()[0]
        assert version.startswith("15.")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(port, "not-the-password")


def test_postgresql_refuses_to_start_without_a_password(app_images, engine_client):
    container = engine_client.containers.run(app_images["postgresql"], detach=True)
    try:
        assert container.wait(timeout=30)["StatusCode"] == 64
        stderr = container.logs(stdout=False, stderr=True).decode()
        assert "POSTGRES_PASSWORD is not set" in stderr
    finally:
        container.remove(force=True)


def redis(port: int, *commands: str) -> list[bytes]:
    """Each command's first answer line (inline commands over one connection)."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        reader = sock.makefile("rb")
        for command in commands:
            sock.sendall(command.encode() + b"\r\n")
            answers.append(reader.readline().rstrip(b"\r\n"))
    return answers


def test_redis_answers_ping_once_authenticated(catalog):
    password = "redis-S3cret"
    instance = catalog("cache", "7_cache_redis", password=password)
    _, port = address(instance)

    def attempt():
        try:
            return redis(port, "PING")
        except OSError:
            return None

    assert until(attempt, "Redis answers", timeout=30)[0].startswith(b"-NOAUTH")
    assert redis(port, "AUTH wrong", "PING") == [
        b"-WRONGPASS invalid username-password pair or user is disabled.",
        b"-NOAUTH Authentication required.",
    ]
    assert redis(port, f"AUTH {password}", "PING", "SET k v", "GET k") == [
        b"+OK", b"+PONG", b"+OK", b"$1",
    ]  # fmt: skip


def test_the_python_application_greets_and_uses_the_postgresql_database(catalog,
                                                                        engine_client):  # fmt: skip
    database = catalog("db", "6_database_postgresql", password=PASSWORD)
    _, db_port = address(database)
    ready(db_port, PASSWORD).close()
    name = engine_client.containers.get(database["cloud_id"]).name
    secret = urllib.parse.quote(PASSWORD, safe="")
    url = f"postgresql://app:{secret}@{name}:5432/app"
    app = catalog("hello", "5_application_python", database_url=url)
    host, port = address(app)
    base = f"http://{host}:{port}"

    assert "Hello from pyhello" in answering(f"{base}/")
    # The first requests, at once (its two workers): each makes the table if missing.
    texts = [f"note-{n}" for n in range(4)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        posted = list(pool.map(lambda text: get(f"{base}/db?text={text}", "POST"), texts))
    assert [status for status, _ in posted] == [201] * 4, posted
    assert sorted(json.loads(body)["text"] for _, body in posted) == texts
    status, body = get(f"{base}/db?text=hello%20vertice", method="POST")
    assert (status, json.loads(body)) == (201, {"id": 5, "text": "hello vertice"})
    listed = json.loads(answering(f"{base}/db"))
    assert listed["database"] == "app"
    assert [(row["id"], row["text"]) for row in listed["rows"]][-1] == (5, "hello vertice")
    assert sorted(row["text"] for row in listed["rows"]) == sorted([*texts, "hello vertice"])
    with connect(db_port, PASSWORD) as connection:  # the rows are in the database itself
        found = connection.execute("SELECT text FROM pyhello_notes WHERE id = 5").fetchall()
        assert found == [("hello vertice",)]
    status, body = get(f"{base}/db", method="POST")
    assert status == 400


def test_the_python_application_without_a_database_says_so(catalog):
    app = catalog("alone", "5_application_python")
    host, port = address(app)
    assert "Hello from pyhello" in answering(f"http://{host}:{port}/")
    status, body = get(f"http://{host}:{port}/db")
    assert (status, json.loads(body)) == (503, {"error": "DATABASE_URL is not set"})
