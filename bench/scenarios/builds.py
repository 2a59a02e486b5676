"""`builds`: a push to the new revision serving, Python recipe, cache cold and warm, against
the same build and run done by hand with the docker CLI's calls.

Setup: a private Docker Engine (the docker plugin's test peer: Debian's
`dockerd` on `/tmp/vtdocker-<uid>`, started when none answers), the recipe's
`python` base image (made offline from Debian packages, cached), and an
installation on SQLite with a docker region on that engine, its API
(`vertice serve --api-only`) and one `vertice reconcile`, local sources allowed.
The application is a WSGI app in a git repository (`app.py`, `requirements.txt`)
answering `revision N`; one assembly of it, one replica.

Each figure times from the request that starts the work (vertice: `POST
/v3/builds` after the commit, what a webhook delivery does; by hand: the
first command) to the first `GET /` on the new instance's published port that
answers the new revision:

* cold: the push adds a requirement, with pip's cache emptied: the wheels are
  downloaded and the dependencies' image layer is built again;
* warm: the push changes only `app.py`: pip's cache and the engine's layer
  cache hold everything but the app's layer.

Both sides remove the images they built at the end (and the layers only those used):
the engine's data persists between runs, and a later run's cold build must not find
the dependencies' layer of an earlier one (it did: vertice's cold push took 1.2 s
against the peer's 4.9 s, a cache hit the peer never had).

By hand ("peer"): `pip download` of the wheels on the host (as the recipe
does, since containers reach no registry), `docker build` of the same
Dockerfile the recipe generates, then a new container started and the old one
removed, with the same cold/warm changes. vertice's figure includes what the
peer leaves out: the fetch of the commit, the stored log, the choice of the
recipe, the release, and a rolling replacement (the new instance runs before
the old one is removed).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.installation import Installation, stop
from bench.report import Figure
from bench.sizes import Size
from vertice_api.client import Client
from vertice_core.convert import make_converter, structure, unstructure
from vertice_core.model.camp import Plan
from vertice_core.store.repositories import FlavorRepository, PlanRepository, RegionRepository
from vertice_drivers.ports import free_port
from vertice_testing.gitserve import make_repository

PEER = Path(__file__).resolve().parents[2] / "plugins" / "docker" / "tests"
PLAN = {
    "name": "bench_python",
    "camp_version": "1.2",
    "services": [
        {"name": "web", "characteristics": [{"type": "org.vertice::env", "http.port": "8080"}]}
    ],
}
APP = (
    "def app(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [b'revision {n}\\n']\n"
)
#: Small pure-Python requirements: the first build's, and the one the cold push adds.
REQUIREMENTS = ("six==1.16.0\n", "six==1.16.0\nidna==3.7\n")


def run(size: Size) -> list[Figure]:
    """vertice's push to serving, cold and warm, and the same by hand; one engine."""
    if str(PEER) not in sys.path:
        sys.path.append(str(PEER))
    from docker_engine_peer.engine import shared_engine
    from vertice_driver_docker import baseimages

    folder = Path(f"/tmp/vtdocker-{os.getuid()}")  # the docker tests' engine
    with shared_engine(folder, shutil.which("dockerd")) as engine:
        baseimages.ensure(engine.base_url, ["python"], log=lambda _line: None)
        vertice = _vertice(engine.base_url)
        by_hand = _by_hand(engine.base_url)
    return [
        Figure("builds.python.cold.seconds", vertice[0], "s",
               note="push (a new requirement, pip cache empty) -> the new revision answers"),
        Figure("builds.python.warm.seconds", vertice[1], "s",
               note="push (app.py only, caches warm) -> the new revision answers"),
        Figure("builds.python.peer_cold.seconds", by_hand[0], "s",
               note="by hand: pip download + docker build + docker run -> it answers"),
        Figure("builds.python.peer_warm.seconds", by_hand[1], "s", note="by hand, warm"),
        Figure("builds.python.cold.ratio", vertice[0] / by_hand[0], "x",
               note="vertice / by hand, cold, same run"),
        Figure("builds.python.warm.ratio", vertice[1] / by_hand[1], "x",
               note="vertice / by hand, warm, same run"),
    ]  # fmt: skip


def _vertice(base_url: str) -> tuple[float, float]:
    """`(cold, warm)` seconds from a push to the new revision answering, through vertice."""
    inst = Installation("sqlite")
    try:
        with inst.store.write() as session:
            plan = structure(make_converter(), PLAN, Plan)
            PlanRepository(session).add(name=plan.name, builtin=False,
                                        document=unstructure(make_converter(), plan))  # fmt: skip
            RegionRepository(session).add(
                name="dock", cloud_type="docker",
                settings={"base_url": base_url, "public_address": "127.0.0.1"},
            )  # fmt: skip
            flavor = FlavorRepository(session).get("small")
            if flavor is not None and flavor.regions:
                FlavorRepository(session).update(flavor, regions=[*flavor.regions, "dock"])
        repo = inst.home / "app"
        make_repository(repo, {"app.py": APP.format(n=1), "requirements.txt": REQUIREMENTS[0]})
        pip_cache = inst.home / "pip-cache"
        env = {**inst.env(poll=0.2, idle_wait=0.05), "VERTICE_BUILD_ALLOW_LOCAL": "1",
               "PIP_CACHE_DIR": str(pip_cache)}  # fmt: skip
        reconciler = inst.start("reconcile", "--identity", "bench", env=env)
        with inst.api(env=env) as url, Client(url, inst.token) as client:
            declared = client.post("/v3/assembly_factory", {
                "name": "app", "plan_uri": "/v3/plan/bench_python", "region": "dock",
                "flavor": "small", "source": {"url": f"file://{repo}"}})  # fmt: skip
            _answers(client, declared["uri"], 1, timeout=600)
            seconds = []
            for n, files in ((2, {"requirements.txt": REQUIREMENTS[1]}), (3, {})):
                if n == 2:
                    shutil.rmtree(pip_cache, ignore_errors=True)
                make_repository(repo, {"app.py": APP.format(n=n), **files})
                started = time.monotonic()
                client.post("/v3/builds", {"assembly": "app"})
                _answers(client, declared["uri"], n, timeout=600)
                seconds.append(time.monotonic() - started)
            client.delete(declared["uri"])
            inst.wait_for(lambda: not client.get("/v3/assembly_factory")["items"], timeout=60)
        stop(reconciler)
        _remove_images(base_url, declared["id"])
        return seconds[0], seconds[1]
    finally:
        inst.close()


def _remove_images(base_url: str, assembly_id: str) -> None:
    """Remove the images vertice built for the assembly, and the layers only they use (as
    the peer removes its own): a later run's cold build must not find its dependencies'
    layer cached on the engine, which persists between runs."""
    import docker

    client = docker.DockerClient(base_url=base_url, version="auto")
    try:
        for image in client.images.list(filters={"label": f"vertice-assembly={assembly_id}"}):
            with contextlib.suppress(docker.errors.APIError):
                client.images.remove(str(image.id), force=True)
    finally:
        client.close()


def _answers(client: Client, uri: str, revision: int, timeout: float) -> None:
    """Wait until an instance of `revision` answers `revision N` at its published port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(uri)["status"]
        for instance in status["instances"]:
            address = instance["access"][0] if instance["access"] else ""
            if instance.get("revision") == revision and address and (
                _body(f"http://{address}/") == f"revision {revision}\n"):  # fmt: skip
                return
        time.sleep(0.1)
    raise TimeoutError(f"revision {revision} did not answer within {timeout} s")


def _body(url: str) -> str:
    try:
        return httpx.get(url, timeout=2).text
    except httpx.HTTPError:
        return ""


def _by_hand(base_url: str) -> tuple[float, float]:
    """`(cold, warm)` seconds of the same pushes done by hand with the docker SDK's calls."""
    import docker
    from vertice_driver_docker.baseimages import BASES

    client = docker.DockerClient(base_url=base_url, version="auto")
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"vertice-bench-hand-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "app").mkdir(parents=True)
    base = BASES["python"].reference
    dockerfile = (
        f"FROM {base}\nENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1\n"
        "COPY wheels/ /wheels/\nCOPY requirements.txt /\n"
        "RUN python3 -m venv /venv && pip install --no-index --find-links /wheels "
        "-r /requirements.txt gunicorn\nCOPY app/ /app/\nWORKDIR /app\n"
        'CMD ["gunicorn", "--bind", "0.0.0.0:8080", "app:app"]\n'
    )
    (work / "Dockerfile").write_text(dockerfile)
    running: Any = None
    seconds = []
    try:
        for n, requirements in ((1, REQUIREMENTS[0]), (2, REQUIREMENTS[1]), (3, REQUIREMENTS[1])):
            (work / "app" / "app.py").write_text(APP.format(n=n))
            (work / "requirements.txt").write_text(requirements)
            env = {**os.environ, "PIP_CACHE_DIR": str(work / "pip-cache")}
            if n == 2:
                shutil.rmtree(work / "pip-cache", ignore_errors=True)
            started = time.monotonic()
            shutil.rmtree(work / "wheels", ignore_errors=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet",
                            "--only-binary=:all:", "--dest", str(work / "wheels"),
                            "-r", str(work / "requirements.txt"), "gunicorn"],
                           check=True, env=env)  # fmt: skip
            client.images.build(path=str(work), tag=f"vertice-bench-hand:{n}", rm=True)
            port = free_port()
            fresh = client.containers.run(f"vertice-bench-hand:{n}", detach=True,
                                          ports={"8080/tcp": ("127.0.0.1", port)})  # fmt: skip
            deadline = time.monotonic() + 120
            while _body(f"http://127.0.0.1:{port}/") != f"revision {n}\n":
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the hand-built revision {n} did not answer")
                time.sleep(0.1)
            if running is not None:
                running.remove(force=True)
            running = fresh
            if n > 1:
                seconds.append(time.monotonic() - started)
    finally:
        if running is not None:
            running.remove(force=True)
        for n in (1, 2, 3):
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(f"vertice-bench-hand:{n}", force=True)
        client.close()
        shutil.rmtree(work, ignore_errors=True)
    return seconds[0], seconds[1]
