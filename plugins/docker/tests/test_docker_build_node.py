"""The Node recipe against a real engine: `npm ci` on this host, node in the image.

The test with a dependency needs npm on PATH (and the npm registry): without
it, it is skipped, and fails in CI, where `make test` installs Debian's npm.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from vertice_core.builder import BuildFailed
from vertice_driver_docker.building import NODE

#: One xdist worker runs the docker tests that load the machine (builds, image making) and
#: those that measure failed requests under load, one after the other (`--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("docker-load")

SERVER = """\
const http = require("http");
const ms = require("ms");
http.createServer((request, response) => {
  response.end(`hello from node, ${ms(60000)} later\\n`);
}).listen(process.env.PORT);
"""
PLAIN = """\
require("http").createServer((q, a) => a.end("hello from main\\n")).listen(process.env.PORT);
"""
MANIFEST = {
    "name": "vertice-node-test",
    "version": "1.0.0",
    "private": True,
    "scripts": {"start": "node server.js", "test": "exit 1"},
    "dependencies": {"ms": "2.1.3"},
    "devDependencies": {"left-pad": "1.3.0"},
}
LOCK = {
    "name": "vertice-node-test",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {"name": "vertice-node-test", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}},
        "node_modules/ms": {
            "version": "2.1.3",
            "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
            "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/"
            "XXP6tz7R9xAOtHnSO/tXtF3WRTlA==",
            "license": "MIT",
        },
    },
}


def make_tree(tmp_path, manifest, **files: str):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "package.json").write_text(json.dumps(manifest))
    for name, text in files.items():
        (tree / name).write_text(text)
    return tree


@pytest.fixture
def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        message = "npm is not installed (`make system-packages` installs Debian's npm)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_npm_start_with_a_dependency_builds_and_answers_over_http(
    tmp_path, npm, base_images, make_builder, make_job, build_log, engine_client, serve
):
    manifest = {**MANIFEST, "devDependencies": {}}
    tree = make_tree(tmp_path, manifest, **{"server.js": SERVER})
    (tree / "package-lock.json").write_text(json.dumps(LOCK))
    builder = make_builder(NODE)
    assert builder.detect(tree)
    job = make_job(tree, seconds=300)

    assert builder.build(job, build_log) == job.image

    assert "npm ci --omit=dev --ignore-scripts" in build_log.text
    assert f"FROM {base_images['node']}" in build_log.text
    config = engine_client.images.get(job.image).attrs["Config"]
    assert dict(job.labels).items() <= config["Labels"].items()
    assert config["Cmd"] == ["/bin/sh", "-c", "exec node server.js"]
    assert "8080/tcp" in config["ExposedPorts"]
    assert serve(job.image) == "hello from node, 1m later\n"


def test_without_dependencies_or_start_script_main_runs_and_npm_does_not(
    tmp_path, base_images, make_builder, make_job, build_log, engine_client, serve
):
    manifest = {"name": "plain", "version": "1.0.0", "main": "main.js"}
    tree = make_tree(tmp_path, manifest, **{"main.js": PLAIN})
    job = make_job(tree)

    make_builder(NODE).build(job, build_log)

    assert "npm is not run" in build_log.text
    assert engine_client.images.get(job.image).attrs["Config"]["Cmd"] == ["node", "main.js"]
    assert serve(job.image) == "hello from main\n"


def test_no_entry_point_fails_naming_what_was_looked_for(
    tmp_path, base_images, make_builder, make_job, build_log
):
    tree = make_tree(tmp_path, {"name": "nothing", "version": "1.0.0"})

    with pytest.raises(BuildFailed) as failed:
        make_builder(NODE).build(make_job(tree), build_log)

    assert failed.value.reason == "NoEntryPoint"
    assert "scripts.start" in failed.value.message
    assert "index.js" in failed.value.message


@pytest.mark.parametrize(
    "spec", ["file:/etc", "../elsewhere", "github:user/repo", "https://x/y.tgz"]
)
def test_a_dependency_from_elsewhere_than_the_registry_is_refused(
    tmp_path, base_images, make_builder, make_job, build_log, spec
):
    manifest = {**MANIFEST, "dependencies": {"ms": "2.1.3", "local": spec}}
    tree = make_tree(tmp_path, manifest, **{"server.js": SERVER})

    with pytest.raises(BuildFailed) as failed:
        make_builder(NODE).build(make_job(tree), build_log)

    assert failed.value.reason == "UnsupportedDependency"
    assert "$ " not in build_log.text  # npm did not run
