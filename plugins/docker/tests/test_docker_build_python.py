"""The Python recipe against a real engine: a WSGI app and a Procfile app build and answer.

Wheels come from PyPI through this host's pip (the engine reaches no registry);
the image is built on the offline base image (`base_images`).
"""

from __future__ import annotations

import pytest

from vertice_core.builder import BuildFailed
from vertice_driver_docker.building import DOCKERFILE, PYTHON

#: One xdist worker runs the docker tests that load the machine (builds, image making) and
#: those that measure failed requests under load, one after the other (`--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("docker-load")

APP = """\
import six


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("hello from a wsgi app, with %s\\n" % six.__name__).encode()]
"""
HELLO = """\
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from the procfile\\n"]
"""


def make_tree(tmp_path, **files: str):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name, text in files.items():
        (tree / name).write_text(text)
    return tree


def test_a_wsgi_app_builds_and_answers_over_http(
    tmp_path, base_images, make_builder, make_job, build_log, engine_client, serve
):
    tree = make_tree(tmp_path, **{"app.py": APP, "requirements.txt": "six>=1.16\n"})
    builder = make_builder(PYTHON)
    assert builder.detect(tree)
    job = make_job(tree, seconds=300)

    assert builder.build(job, build_log) == job.image

    assert f"FROM {base_images['python']}" in build_log.text  # the generated Dockerfile
    assert "pip download --only-binary=:all:" in build_log.text
    config = engine_client.images.get(job.image).attrs["Config"]
    assert dict(job.labels).items() <= config["Labels"].items()
    assert config["Cmd"] == ["/bin/sh", "-c", 'exec gunicorn --bind "0.0.0.0:$PORT" app:app']
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["User"] == "10001:10001"
    assert serve(job.image) == "hello from a wsgi app, with six\n"


def test_a_procfile_web_line_is_the_command(
    tmp_path, base_images, make_builder, make_job, build_log, engine_client, serve
):
    procfile = "web: gunicorn --bind 0.0.0.0:$PORT --workers 1 hello:application\n"
    tree = make_tree(tmp_path, **{"hello.py": HELLO, "requirements.txt": "", "Procfile": procfile})
    job = make_job(tree, seconds=300)

    make_builder(PYTHON).build(job, build_log)

    config = engine_client.images.get(job.image).attrs["Config"]
    assert config["Cmd"][-1] == "exec gunicorn --bind 0.0.0.0:$PORT --workers 1 hello:application"
    assert serve(job.image) == "hello from the procfile\n"


def test_a_pyproject_project_is_installed_in_the_image_from_its_tree(
    tmp_path, base_images, make_builder, make_job, build_log, serve
):
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "greeter"\nversion = "1.0"\ndependencies = ["six"]\n'
        '[tool.setuptools]\npy-modules = ["greeting"]\n'
    )
    greeting = 'TEXT = "hello from an installed project\\n"\n'
    wsgi = (
        "import greeting\n\n"
        "def application(environ, start_response):\n"
        '    start_response("200 OK", [])\n'
        "    return [greeting.TEXT.encode()]\n"
    )
    tree = make_tree(
        tmp_path, **{"pyproject.toml": pyproject, "greeting.py": greeting, "wsgi.py": wsgi}
    )
    job = make_job(tree, seconds=300)

    make_builder(PYTHON).build(job, build_log)

    assert "RUN /venv/bin/pip install --no-index" in build_log.text
    assert serve(job.image) == "hello from an installed project\n"


def test_no_entry_point_fails_naming_what_was_looked_for(
    tmp_path, base_images, make_builder, make_job, build_log
):
    tree = make_tree(tmp_path, **{"main.py": HELLO, "requirements.txt": ""})

    with pytest.raises(BuildFailed) as failed:
        make_builder(PYTHON).build(make_job(tree), build_log)

    assert failed.value.reason == "NoEntryPoint"
    assert "Procfile" in failed.value.message
    assert "wsgi.py defining application or app" in failed.value.message
    assert "app.py defining app or application" in failed.value.message


@pytest.mark.parametrize(
    "line", ["-r /etc/passwd", "--index-url http://x/", "./local", "x @ file:///etc"]
)
def test_requirements_that_would_reach_this_hosts_files_are_refused(
    tmp_path, base_images, make_builder, make_job, build_log, line
):
    tree = make_tree(tmp_path, **{"app.py": APP, "requirements.txt": f"six\n{line}\n"})

    with pytest.raises(BuildFailed) as failed:
        make_builder(PYTHON).build(make_job(tree), build_log)

    assert failed.value.reason == "UnsupportedRequirement"
    assert "pip" not in build_log.text  # refused before pip ran


def test_a_dependency_pip_cannot_fetch_is_dependencies_failed(
    tmp_path, base_images, make_builder, make_job, build_log
):
    missing = "vertice-test-no-such-distribution==0.0.1"
    tree = make_tree(tmp_path, **{"app.py": APP, "requirements.txt": f"{missing}\n"})

    with pytest.raises(BuildFailed) as failed:
        make_builder(PYTHON).build(make_job(tree), build_log)

    assert failed.value.reason == "DependenciesFailed"
    assert "vertice-test-no-such-distribution" in failed.value.message  # pip's last lines


def test_detect_leaves_a_tree_with_a_dockerfile_to_the_dockerfile_builder(tmp_path, make_builder):
    tree = make_tree(tmp_path, **{"pyproject.toml": "[project]\nname = 'x'\n"})
    assert make_builder(PYTHON).detect(tree)
    (tree / "Dockerfile").write_text("FROM localhost/busybox:latest\n")
    assert not make_builder(PYTHON).detect(tree)
    assert make_builder(DOCKERFILE).detect(tree)
    assert DOCKERFILE.priority < PYTHON.priority
