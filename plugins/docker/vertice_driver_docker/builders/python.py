"""The Python recipe: a WSGI app or a Procfile's command, on the offline Python base image.

Detected by a `requirements.txt` or a `pyproject.toml` at the tree's root.

* **Dependencies are fetched on this host**, the containers reaching no
  registry: `pip download --only-binary=:all:` of the requirements and
  gunicorn, for the base's Python (bookworm's 3.11), into the build's scratch
  folder; the image installs them into a venv (`/venv`) with `--no-index`.
  Only wheels are fetched, so none of the user's code, and none of a
  dependency's build scripts, runs on this host; a dependency published only
  as an sdist fails the build (`DependenciesFailed`, with pip's last lines).
* **The requirements are checked first**: `requirements.txt` may only hold
  requirement specifiers (`name[extra] >=1.0 ; marker`): options (`-r`,
  `--index-url`, `-e`), paths and URLs would have pip read this host's files
  or reach other hosts for the user (`UnsupportedRequirement`).
  `pyproject.toml` alone: its `[project] dependencies` and `[build-system]
  requires` are fetched, and the project is installed in the image from its
  own tree (its build backend runs there, offline). With a `requirements.txt`,
  the tree runs from `/app` as it is, not installed. Not supported yet: pip's
  `--hash` options (`pip-compile --generate-hashes` output).
* **The command**: the `Procfile`'s `web:` line if there is one, else
  `gunicorn --bind 0.0.0.0:$PORT <module>:<callable>` for the first WSGI
  entry point found (`wsgi.py` defining `application` or `app`, `app.py`
  defining `app` or `application`), found by parsing, never importing; none:
  `NoEntryPoint`.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from vertice_core.builder import BuildFailed, BuildJob, BuildLog
from vertice_core.building.recipes import SERVER, python_command
from vertice_driver_docker.baseimages import PYTHON_VERSION
from vertice_driver_docker.builders.context import ContextWriter
from vertice_driver_docker.builders.recipe import Plan, RecipeBuilder, run_on_host
from vertice_driver_docker.builders.stopping import Stopper

__all__ = ["PythonBuilder"]

#: What pip's build isolation needs when a pyproject.toml names no build system.
DEFAULT_BUILD_REQUIRES = ("setuptools>=40.8.0", "wheel")


class PythonBuilder(RecipeBuilder):
    """requirements.txt / pyproject.toml -> wheels on the host -> a venv in the image."""

    name = "python"
    base = "python"

    def applies(self, tree: Path) -> bool:
        return (tree / "requirements.txt").is_file() or (tree / "pyproject.toml").is_file()

    def plan(self, job: BuildJob, log: BuildLog, writer: ContextWriter, stopper: Stopper) -> Plan:
        command = python_command(job.tree)
        from_requirements = (job.tree / "requirements.txt").is_file()
        requirements = [*_requirements(job.tree, from_requirements), SERVER]
        listing = "".join(f"{line}\n" for line in requirements)
        (job.scratch / "requirements.txt").write_text(listing)
        wheels = job.scratch / "wheels"
        wheels.mkdir()
        status, tail = run_on_host(
            [
                sys.executable,
                *("-m", "pip", "download", "--only-binary=:all:", "--no-input"),
                *("--disable-pip-version-check", "--progress-bar=off"),
                *("--python-version", PYTHON_VERSION, "--dest", str(wheels)),
                *("-r", str(job.scratch / "requirements.txt")),
            ],
            job.scratch,
            log,
            stopper,
        )
        if status != 0:
            raise BuildFailed(
                "fetching the dependencies failed (only wheels are used):\n" + "\n".join(tail),
                reason="DependenciesFailed",
            )
        writer.add_tree(job.tree, "app/")
        writer.add_folder(wheels, "vertice/wheels/")
        writer.add_file("vertice/requirements.txt", listing.encode())
        pip = "/venv/bin/pip install --no-index --find-links /vertice/wheels --no-cache-dir"
        steps = [
            "ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1",
            "COPY vertice/ /vertice/",
            f"RUN python3 -m venv /venv && {pip} -r /vertice/requirements.txt",
            "COPY app/ /app/",
            "WORKDIR /app",
        ]
        if not from_requirements:
            steps.append(f"RUN {pip} /app && rm -rf /app/build")
        return Plan(steps=tuple(steps), command=command)


def _requirements(tree: Path, from_requirements: bool) -> list[str]:
    """The requirement specifiers to fetch, checked (see the module's docstring)."""
    if from_requirements:
        lines = (tree / "requirements.txt").read_text(errors="replace").splitlines()
        found = [line.split(" #", 1)[0].strip() for line in lines]
        return [_checked(line, "requirements.txt") for line in found if line and line[0] != "#"]
    try:
        project = tomllib.loads((tree / "pyproject.toml").read_text(errors="replace"))
    except tomllib.TOMLDecodeError as exc:
        raise BuildFailed(f"pyproject.toml: {exc}", reason="UnsupportedRequirement") from None
    dependencies = project.get("project", {}).get("dependencies", [])
    requires = project.get("build-system", {}).get("requires", DEFAULT_BUILD_REQUIRES)
    return [_checked(str(line), "pyproject.toml") for line in (*dependencies, *requires)]


def _checked(line: str, source: str) -> str:
    """`line` if it is a plain requirement specifier (no option, path or URL)."""
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        requirement = None
    if requirement is None or requirement.url is not None:
        raise BuildFailed(
            f"{source}: {line[:200]!r} is not a requirement specifier (name, extras, version, "
            "marker); options, paths and URLs are not supported",
            reason="UnsupportedRequirement",
        )
    return str(requirement)
