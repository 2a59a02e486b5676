"""The peer of the docker driver's tests: a real Docker Engine, started here when none runs.

`docker_engine` (session) uses the engine of `VERTICE_TEST_DOCKER_HOST` if that
is set, else the one answering on `/tmp/vtdocker-<uid>/docker.sock`; when
nothing answers there it starts Debian's `dockerd` on that folder
(`docker_engine_peer.engine`, beside this file and put on `sys.path` here: tests
run with `--import-mode=importlib`). Concurrent sessions (pytest-xdist
workers) share that engine; the last one to finish stops it, with its
containers, if the tests started it. With no registry reachable,
`busybox_image` imports a local image (`localhost/busybox:latest`, busybox
`httpd` on port 8080 as its command, with the CGI scripts `whoami`, `work` and
`metrics`). `caddy` is a real Caddy of the test's own on reserved 127.0.0.1
ports, for the tests that put a route in front of containers.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import docker
import docker.errors
import pytest

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from docker_engine_peer.busybox import BUSYBOX, import_busybox
from docker_engine_peer.engine import LocalEngine, existing_engine, shared_engine
from docker_engine_peer.routed import DRAIN, HOST
from vertice_core import builtins
from vertice_core.builder import BuildJob
from vertice_core.driver import TAG_INSTALLATION, RegionConfig
from vertice_core.router import RouterConfig
from vertice_core.routing.controller import RouterTarget
from vertice_core.routing.routers import router_info
from vertice_driver_docker import DRIVER, DockerCredentials, DockerSettings
from vertice_testing import wrk
from vertice_testing.caddy import Caddy, caddy_binary

#: vertice's test harness (vertice-testing, opt-in): the API users, databases, reconcilers.
pytest_plugins = ["vertice_testing.plugin"]

IMAGE = "localhost/busybox:latest"

#: The xdist group of the tests that load the machine: one worker runs them one after the other
#: (`make test` runs `--dist loadgroup`). Test files that count failed requests under load
#: carry it as `pytestmark`; `pytest_collection_modifyitems` gives it to every test that makes
#: images, so no two builds share the engine at once. Removing a test's image also removes the
#: untagged cache layers it stood on, and a concurrent build using those layers failed with
#: "unknown parent image ID".
LOAD_GROUP = "docker-load"
_MAKES_IMAGES = frozenset({"make_job", "base_images", "app_images"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: xdist's worker turns the mark into the node id's `@group` suffix in its own
    # hook, and this conftest (under `testpaths`) is loaded before that hook is registered,
    # so without it this ran after xdist's and the groups it added were ignored.
    here = Path(__file__).resolve().parent
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _MAKES_IMAGES and here in item.path.resolve().parents:
            item.add_marker(pytest.mark.xdist_group(LOAD_GROUP))


def _missing(what: str, hint: str) -> None:
    """Skip without the engine's packages; in CI (where `make test` installs them), fail."""
    message = f"{what} is not installed ({hint})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[LocalEngine]:
    """The engine the tests run against (started for the run when none answers)."""
    given = os.environ.get("VERTICE_TEST_DOCKER_HOST")
    if given:
        yield LocalEngine(given)
        return
    folder = Path(f"/tmp/vtdocker-{os.getuid()}")  # short: a unix socket path limit
    dockerd = shutil.which("dockerd")
    if dockerd is None and existing_engine(folder) is None:
        _missing("dockerd", "`make test` installs Debian's docker.io")
    with contextlib.ExitStack() as stack:
        try:
            engine = stack.enter_context(shared_engine(folder, dockerd))
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield engine


@pytest.fixture(scope="session")
def engine_client(docker_engine: LocalEngine) -> Iterator[docker.DockerClient]:
    """A plain SDK client of the engine (to look behind the driver's back)."""
    client = docker.DockerClient(base_url=docker_engine.base_url, version="auto")
    yield client
    client.close()


@pytest.fixture(scope="session")
def busybox_image(engine_client: docker.DockerClient) -> str:
    """`localhost/busybox:latest`: static busybox, `httpd -f -p 8080 -h /www` as its command
    (`docker_engine_peer.busybox` says what it serves)."""
    if not BUSYBOX.exists():
        _missing(str(BUSYBOX), "`make test` installs Debian's busybox-static")
    return import_busybox(engine_client, IMAGE)


@pytest.fixture
def caddy(tmp_path: Path) -> Iterator[Caddy]:
    """A Caddy of this test's own, on reserved 127.0.0.1 ports (skipped without the
    binary or without wrk, which the tests behind it load it with; failed in CI)."""
    if caddy_binary() is None or not wrk.available():
        _missing("caddy or wrk", "`make test` installs Debian's packages")
    proxy = Caddy(tmp_path / "caddy")
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def tls_engine(docker_engine: LocalEngine) -> LocalEngine:
    """The engine, if it has a TLS port (one started by these tests does)."""
    if not docker_engine.tls_url:
        pytest.skip("this engine was not started by the tests: it has no TLS port")
    return docker_engine


_installations = itertools.count(1)


def unique_installation() -> str:
    """An installation id no other test of this run uses."""
    return f"vti-dt{os.getpid()}x{next(_installations)}"


@pytest.fixture
def make_driver(
    docker_engine: LocalEngine,
    busybox_image: str,
    engine_client: docker.DockerClient,
    tmp_path: Path,
) -> Iterator[Callable[..., Any]]:
    """Build docker drivers on the test engine; their containers are removed afterwards."""
    made: list[Any] = []

    def make(
        installation: str = "",
        credentials: DockerCredentials | None = None,
        **settings: Any,
    ) -> Any:
        values: dict[str, Any] = {
            "base_url": docker_engine.base_url,
            "public_address": "127.0.0.1",
            "stop_timeout": 2,
            "timeout": 10,
            **settings,
        }
        region = RegionConfig(
            name="dock",
            cloud_type="docker",
            installation_id=installation or unique_installation(),
            settings=DockerSettings(**values),
            credentials=credentials or DockerCredentials(),
            home=tmp_path,
        )
        driver = DRIVER.load()(region)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()
        remove_labelled(engine_client, driver.region.installation_id)


def remove_labelled(client: docker.DockerClient, installation: str) -> None:
    """Remove every container labelled with `installation`."""
    label = f"{TAG_INSTALLATION}={installation}"
    for container in client.containers.list(all=True, sparse=True, filters={"label": label}):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


_hand_made = itertools.count(1)


@pytest.fixture
def hand_made(
    engine_client: docker.DockerClient, busybox_image: str
) -> Iterator[Callable[..., Any]]:
    """`hand_made(labels=None, name="")`: a busybox container run as an operator would
    (`docker run -d`), with `labels` (default `owner: ops`) and a name of its own (default
    `ops-<pid>-<n>`, no vertice name); the containers are removed (forced) afterwards."""
    made: list[Any] = []

    def run(labels: dict[str, str] | None = None, name: str = "") -> Any:
        container = engine_client.containers.run(
            busybox_image,
            detach=True,
            labels={"owner": "ops"} if labels is None else labels,
            name=name or f"ops-{os.getpid()}-{next(_hand_made)}",
        )
        made.append(container)
        return container

    yield run
    for container in made:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


# -- end to end: a docker region and a plan through the API --

PLAN_NAME = "9_container_busybox"
PLAN = {
    "name": PLAN_NAME,
    "camp_version": "1.2",
    "description": "busybox httpd in a container",
    "services": [
        {
            "name": "web",
            "characteristics": [
                {"type": "org.vertice.container::image", "name": "busybox-web"},
                {"type": "org.vertice.container::env", "http.port": "8080"},
            ],
        }
    ],
}


@pytest.fixture
def installation(ctx: Any, engine_client: docker.DockerClient) -> Iterator[str]:
    """The test installation's id; its containers are removed afterwards."""
    found = builtins.installation_id(ctx.store)
    yield found
    remove_labelled(engine_client, found)


@pytest.fixture
def docker_region(
    admin: Any, docker_engine: LocalEngine, busybox_image: str, installation: str
) -> Callable[..., dict[str, Any]]:
    """`docker_region(name, credentials=None, **settings)`: an admin configures a docker region.

    Its defaults: the test engine's unix socket, ports published on 127.0.0.1, the
    plan image `busybox-web` mapped to the busybox image, and a 2 s stop timeout.
    """

    def configure(
        name: str = "dock", credentials: dict[str, str] | None = None, **settings: Any
    ) -> dict[str, Any]:
        body = {
            "name": name,
            "cloud_type": "docker",
            "provider_region": "engine",
            "description": "the test engine",
            "settings": {
                "base_url": docker_engine.base_url,
                "public_address": "127.0.0.1",
                "stop_timeout": 2,
                "images": {"busybox-web": busybox_image},
                **settings,
            },
            "credentials": credentials or {},
        }
        created = admin.post("/v3/regions", body)
        assert created.status_code == 201, created.json
        document: dict[str, Any] = created.json
        return document

    return configure


@pytest.fixture
def busybox_plan(admin: Any) -> str:
    """The URI of a plan that runs the busybox image with `http.port` 8080 published."""
    created = admin.post("/v3/plan_factory", PLAN)
    assert created.status_code == 201, created.json
    return f"/v3/plan/{PLAN_NAME}"


@pytest.fixture
def declare(alice: Any, busybox_plan: str) -> Callable[..., str]:
    """`declare(name, region="dock")`: alice declares a busybox assembly; returns its URI."""

    def declare_one(name: str, region: str = "dock", **fields: Any) -> str:
        result = alice.declare(name, plan_uri=busybox_plan, region=region, **fields)
        assert result.status_code == 201, result.json
        return str(result.headers["location"])

    return declare_one


# -- an assembly behind a route through Caddy, with the reconciler running --


@pytest.fixture
def running(
    alice: Any,
    installation: str,
    docker_region: Any,
    declare: Any,
    make_reconciler: Any,
    caddy: Caddy,
) -> Iterator[Callable[..., tuple[str, str]]]:
    """`running(replicas, **fields)`: alice's assembly `web` of busybox containers behind a route,
    and the reconciler running in a thread (stopped at the end); returns the URIs of the
    assembly and of the route."""
    from vertice_testing.plugin import FAST  # not at the top: the plugin loads first

    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(replicas: int, **fields: Any) -> tuple[str, str]:
        docker_region()
        uri = declare("web", replicas=replicas, **fields)
        info = router_info("caddy")
        settings = info.settings(admin=caddy.admin_url, http_port=caddy.http_port,
                                 https_port=caddy.https_port, listen_host="127.0.0.1")  # fmt: skip
        router = info.load()(RouterConfig("default", "caddy", installation, settings))
        reconciler = make_reconciler(
            settings=attrs.evolve(FAST, drain=DRAIN), router=RouterTarget("default", router)
        )
        created = alice.post("/v3/routes", {"hostname": HOST, "assembly": "web", "port": 8080,
                                            "tls": "off"})  # fmt: skip
        assert created.status_code == 201, created.json
        thread = threading.Thread(target=reconciler.run_forever, args=(stop,), daemon=True)
        thread.start()
        threads.append(thread)
        return uri, created.json["uri"]

    yield start
    stop.set()
    for thread in threads:
        thread.join(30)


# -- builders: a region's builder on the test engine, and the images it made --


class MemoryLog:
    """A build log kept in memory (the controller's is bounded and stored)."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def write(self, text: str) -> None:
        self.chunks.append(text)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


@pytest.fixture(scope="session")
def base_images(docker_engine: LocalEngine) -> dict[str, str]:
    """The recipes' base images on the test engine, made when missing (name -> reference):
    from the shared tarball cache (`baseimages.default_cache()`) when it has them, else with
    mmdebstrap from the Debian mirror (65 to 105 s cold, 3 to 5 s from the cache)."""
    from vertice_driver_docker import baseimages

    if shutil.which("mmdebstrap") is None:
        _missing("mmdebstrap", "`make test` installs Debian's mmdebstrap")
    references = baseimages.ensure(docker_engine.base_url, log=lambda line: None)
    return dict(zip(sorted(baseimages.BASES), references, strict=True))


@pytest.fixture(scope="session")
def app_images(docker_engine: LocalEngine) -> dict[str, str]:
    """The one-click catalog's images on the test engine, made when missing (name -> keyed
    reference; each also tagged `:latest`, what the plans run): see `appimages` for the
    times (minutes cold, tens of seconds from the cache)."""
    from vertice_driver_docker import appimages

    if shutil.which("mmdebstrap") is None:
        _missing("mmdebstrap", "`make test` installs Debian's mmdebstrap")
    return appimages.ensure(docker_engine.base_url, log=lambda line: None)


@pytest.fixture
def build_log() -> MemoryLog:
    """A build log kept in memory, its text in `.text`."""
    return MemoryLog()


@pytest.fixture
def make_builder(
    docker_engine: LocalEngine, engine_client: docker.DockerClient, tmp_path: Path
) -> Iterator[Callable[..., Any]]:
    """`make_builder(info, **settings)`: a builder of the `vertice.builders` info on the test
    engine, closed afterwards."""
    made: list[Any] = []

    def make(info: Any, **settings: Any) -> Any:
        values = {"base_url": docker_engine.base_url, "timeout": 10, **settings}
        region = RegionConfig(
            name="dock",
            cloud_type="docker",
            installation_id=unique_installation(),
            settings=DockerSettings(**values),
            credentials=DockerCredentials(),
            home=tmp_path,
        )
        builder = info.load()(region)
        made.append(builder)
        return builder

    yield make
    for builder in made:
        builder.close()


_builds = itertools.count(1)


@pytest.fixture
def make_job(engine_client: docker.DockerClient, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """`make_job(tree, seconds=120)`: a `BuildJob` of `tree`, due in `seconds`; its image
    (`localhost/vertice-test-<pid>-<n>:1`) and the containers run from it are removed after
    the test."""
    images: list[str] = []

    def make(tree: Path, seconds: float = 120.0, recipe: str = "") -> BuildJob:
        number = next(_builds)
        image = f"localhost/vertice-test-{os.getpid()}-{number}:1"
        images.append(image)
        scratch = tmp_path / f"scratch-{number}"
        scratch.mkdir()
        return BuildJob(
            build_id=f"bld-test{number}",
            tree=tree,
            commit="0" * 40,
            image=image,
            labels={"org.vertice.build": f"bld-test{number}", "org.vertice.commit": "0" * 40},
            deadline=time.time() + seconds,
            scratch=scratch,
            recipe=recipe,
        )

    yield make
    for image in images:
        for container in engine_client.containers.list(all=True, filters={"ancestor": image}):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
        with contextlib.suppress(docker.errors.ImageNotFound):
            engine_client.images.remove(image, force=True)


@pytest.fixture
def serve(engine_client: docker.DockerClient) -> Iterator[Callable[..., str]]:
    """`serve(image, path="/")`: run a container of `image` with port 8080 published on
    127.0.0.1 and return the body it answers at `path` (waiting up to 30 s for it to listen);
    the container is removed afterwards."""
    containers: list[Any] = []

    def run(image: str, path: str = "/") -> str:
        container = engine_client.containers.run(
            image, detach=True, ports={"8080/tcp": ("127.0.0.1", None)}
        )
        containers.append(container)
        container.reload()
        port = container.ports["8080/tcp"][0]["HostPort"]
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                    return str(answer.read().decode())
            except OSError:
                container.reload()
                if container.status == "exited" or time.monotonic() > deadline:
                    logs = container.logs().decode(errors="replace")[-2000:]
                    raise AssertionError(f"{image} does not answer on 8080: {logs}") from None
                time.sleep(0.2)

    yield run
    for container in containers:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
