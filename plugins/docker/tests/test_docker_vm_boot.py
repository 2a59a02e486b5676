"""A VM region's program, booted for real: systemd and cloud-init run the user data we send.

The user data is what every VM driver sends for a source-built assembly
(`cloud_config(spec)` with the program the VM builder made of a real tree); the
"VM" is Debian with systemd as PID 1 and Debian's cloud-init, in a container on the
host's network (`docker_engine_peer.vm`); the repository is served by git's own
HTTP backend on 127.0.0.1. The program must be fetched at its exact commit,
prepared, and served by `vertice-app.service` as the unprivileged `vertice-app`.
"""

from __future__ import annotations

import shutil
import time
import urllib.request
from pathlib import Path

import attrs
import pytest

from docker_engine_peer.vm import VM_IMAGE, booted, run
from vertice_core.builder import BuildJob
from vertice_core.program import Program
from vertice_driver_docker import baseimages
from vertice_drivers import vmbuild, vmprogram
from vertice_drivers.cloudinit import cloud_config
from vertice_drivers.ports import free_port
from vertice_drivers.testkit import TEST_PUBLIC_KEY, default_spec
from vertice_testing.gitcgi import GitHttpServer
from vertice_testing.gitserve import make_repository

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("docker-load")]

APP = """\
import os
import pwd


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    user = pwd.getpwuid(os.getuid()).pw_name
    return [f"{MESSAGE} as {user} on {os.environ['PORT']}\\n".encode()]
"""


class Log:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


@pytest.fixture(scope="module")
def vm_image(docker_engine, engine_client):
    """The VM image on the test engine (made with mmdebstrap when missing, then cached)."""
    if shutil.which("mmdebstrap") is None:
        pytest.fail("mmdebstrap is missing: `make test` installs Debian's mmdebstrap")
    cache = baseimages.default_cache()
    cache.mkdir(parents=True, exist_ok=True)
    sources = baseimages.debian_sources()
    baseimages.import_image(engine_client.api, VM_IMAGE, cache, sources, lambda line: None)
    return VM_IMAGE.reference


def program_of(tree: Path, builder: type[vmbuild.VmBuilder], url: str, commit: str,
               **changes: object) -> Program:  # fmt: skip
    """The program the VM builder makes of `tree`, listening on a reserved port."""
    job = BuildJob(build_id="bld-vm", tree=tree, commit=commit, image="", labels={},
                   deadline=time.time() + 60, scratch=tree, url=url, **changes)  # type: ignore[arg-type]  # fmt: skip
    program = Program.parse(builder(None).build(job, Log()))  # type: ignore[arg-type]
    assert program is not None
    return attrs.evolve(program, port=free_port())


def page(port: int, container, timeout: float = 180.0) -> str:
    """The body the program answers at / (what went wrong on the VM if it never does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                return str(answer.read().decode())
        except OSError:
            time.sleep(0.5)
    container.reload()
    raise AssertionError(
        f"the program never answered (container {container.status}):\n"
        + run(container, "cloud-init", "status", "--long")
        + run(container, "tail", "-n", "40", "/var/log/cloud-init-output.log")
        + run(container, "journalctl", "--no-pager", "-n", "30", "-u", vmprogram.UNIT)
    )


def boot(client, image: str, program: Program):
    """A VM booting with the user data every VM driver sends for `program`."""
    spec = default_spec("vti-vm", "asm-vm-1", ssh_public_key=TEST_PUBLIC_KEY, program=program)
    text = cloud_config(spec)
    assert text is not None
    return booted(client, image, text, f"vertice-vm-{program.port}")


def test_a_python_program_is_fetched_prepared_and_served_by_its_unit(
    tmp_path, vm_image, engine_client
):
    repository = tmp_path / "git" / "app.git"
    commit = make_repository(repository, {
        "requirements.txt": "gunicorn\n",  # Debian's, seen by the venv: pip needs no network
        "app.py": APP.replace("{MESSAGE}", "python at its commit"),
    })  # fmt: skip
    with GitHttpServer(tmp_path / "git") as server:
        program = program_of(repository, vmbuild.PythonVmBuilder, server.url_of("app.git"), commit)
        with boot(engine_client, vm_image, program) as vm:
            body = page(program.port, vm)
            assert body == f"python at its commit as vertice-app on {program.port}\n"
            status = run(vm, "cloud-init", "status", "--long")
            assert "status: done" in status and "DataSourceNoCloud" in status, status
            schema = run(vm, "cloud-init", "schema", "--config-file", f"/{vm_seed('user-data')}")
            assert "Valid cloud-config" in schema, schema
            assert run(vm, "systemctl", "is-active", vmprogram.UNIT).strip() == "active"
            assert run(vm, "systemctl", "is-enabled", vmprogram.UNIT).strip() == "enabled"
            # the code is root's and read-only to the program; no .git is left behind
            assert run(vm, "stat", "-c", "%U", "/srv/vertice-app/src/app.py").strip() == "root"
            assert "No such file" in run(vm, "ls", "/srv/vertice-app/src/.git")
        assert any("git-upload-pack" in path for path in server.paths)  # the VM fetched it


def test_a_static_site_in_a_subdirectory_is_served_at_its_commit_not_the_branchs_tip(
    tmp_path, vm_image, engine_client
):
    repository = tmp_path / "git" / "site.git"
    first = make_repository(repository, {"web/public/index.html": "the first commit\n"})
    program = program_of(repository / "web", vmbuild.StaticVmBuilder, "http://unused", first,
                         subdirectory="web", ref="main")  # fmt: skip
    make_repository(repository, {"web/public/index.html": "the branch moved on\n"})
    # protocol v0: the server refuses a commit that no ref advertises, so the VM fetches
    # the ref and checks the commit out of it
    with GitHttpServer(tmp_path / "git", protocol_v2=False) as server:
        program = attrs.evolve(program, url=server.url_of("site.git"))
        with boot(engine_client, vm_image, program) as vm:
            assert page(program.port, vm) == "the first commit\n"
            output = run(vm, "cat", "/var/log/cloud-init-output.log")
            assert "unadvertised object" in output or "not our ref" in output, output[-2000:]


SERVER_JS = """\
const http = require("http");
http.createServer((request, response) => {
  response.end(`node as ${require("os").userInfo().username} on ${process.env.PORT}\\n`);
}).listen(Number(process.env.PORT));
"""


def test_a_node_program_runs_npm_ci_and_its_start_script(tmp_path, vm_image, engine_client):
    repository = tmp_path / "git" / "node.git"
    manifest = '{"name": "vm-app", "version": "1.0.0", "scripts": {"start": "node server.js"}}'
    lock = ('{"name": "vm-app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, '
            '"packages": {"": {"name": "vm-app", "version": "1.0.0"}}}')  # fmt: skip
    commit = make_repository(repository, {"package.json": manifest, "package-lock.json": lock,
                                          "server.js": SERVER_JS})  # fmt: skip
    with GitHttpServer(tmp_path / "git") as server:
        program = program_of(repository, vmbuild.NodeVmBuilder, server.url_of("node.git"), commit)
        assert program.start == "exec node server.js"  # scripts.start, as npm would run it
        with boot(engine_client, vm_image, program) as vm:
            assert page(program.port, vm) == f"node as vertice-app on {program.port}\n"
            assert "npm ci" in run(vm, "cat", vmprogram.PREPARE)


def vm_seed(name: str) -> str:
    return f"var/lib/cloud/seed/nocloud/{name}"
