"""The Node recipe: `npm start`'s script or `node <main>`, on the offline Node base image.

Detected by a `package.json` at the tree's root.

* **Dependencies are installed on this host**, the containers reaching no
  registry: `npm ci --omit=dev --ignore-scripts` (`npm install` without a
  lock file) in the build's scratch folder, from `package.json` and the lock
  file alone (the tree's `.npmrc` stays out: it could point npm at this
  host's files or other registries); the `node_modules` it makes goes into
  the image. `--ignore-scripts`: no package's install script runs, here or in
  the image, so packages that compile a native addon at install time do not
  work. Dependencies must come from the registry: a `file:`, `link:`, git or
  URL dependency, in `package.json` or resolved so in the lock file, would
  have npm read this host's files (`UnsupportedDependency`).
  No dependencies: npm is not run at all.
* **The command**, as `npm start` would choose it, but without npm in the
  image (Debian's npm is large, and the base is offline anyway): the
  `Procfile`'s `web:` line, else `scripts.start` run by `sh` with
  `node_modules/.bin` on `PATH`, else `node server.js` if there is one, else
  `node <main>` (`index.js` by default) if that file is there; else
  `NoEntryPoint`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from vertice_core.builder import BuildFailed, BuildJob, BuildLog
from vertice_core.building.recipes import json_object, node_command, package_json
from vertice_driver_docker.builders.context import ContextWriter
from vertice_driver_docker.builders.recipe import Plan, RecipeBuilder, run_on_host
from vertice_driver_docker.builders.stopping import Stopper

__all__ = ["NodeBuilder"]

LOCK_FILES = ("npm-shrinkwrap.json", "package-lock.json")
NPM_OPTIONS = ("--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund")


class NodeBuilder(RecipeBuilder):
    """package.json -> node_modules from the host's npm -> node in the image."""

    name = "node"
    base = "node"

    def applies(self, tree: Path) -> bool:
        return (tree / "package.json").is_file()

    def plan(self, job: BuildJob, log: BuildLog, writer: ContextWriter, stopper: Stopper) -> Plan:
        manifest = package_json(job.tree)
        command = node_command(job.tree, manifest)
        modules = self._install(job, log, stopper, manifest)
        writer.add_tree(job.tree, "app/", exclude=("node_modules",))
        steps = ["ENV NODE_ENV=production PATH=/app/node_modules/.bin:$PATH"]
        if modules is not None:
            writer.add_folder(modules, "vertice/node_modules/")
            steps.append("COPY vertice/node_modules/ /app/node_modules/")
        steps += ["COPY app/ /app/", "WORKDIR /app"]
        return Plan(steps=tuple(steps), command=command)

    def _install(
        self, job: BuildJob, log: BuildLog, stopper: Stopper, manifest: dict[str, Any]
    ) -> Path | None:
        """`node_modules` made by npm in the scratch folder (None: nothing to install)."""
        dependencies = manifest.get("dependencies") or {}
        if not dependencies:
            log.write("No dependencies: npm is not run\n")
            return None
        _check_specs(dependencies)
        npm = shutil.which("npm")
        if npm is None:
            raise BuildFailed(
                "npm is not installed on the builder's host", reason="DependenciesFailed"
            )
        work = job.scratch / "npm"
        work.mkdir()
        (work / "package.json").write_bytes((job.tree / "package.json").read_bytes())
        locked = False
        for name in LOCK_FILES:
            lock = job.tree / name
            if lock.is_file() and not lock.is_symlink():
                _check_lock(json_object(lock), name)
                (work / name).write_bytes(lock.read_bytes())
                locked = True
        verb = ["ci"] if locked else ["install", "--no-package-lock"]
        env = {"npm_config_update_notifier": "false", "npm_config_loglevel": "warn"}
        status, tail = run_on_host([npm, *verb, *NPM_OPTIONS], work, log, stopper, env)
        if status != 0:
            raise BuildFailed(
                f"npm {verb[0]} failed:\n" + "\n".join(tail), reason="DependenciesFailed"
            )
        modules = work / "node_modules"
        return modules if modules.is_dir() else None


def _check_specs(dependencies: Any) -> None:
    """Every dependency is the registry's (a version range, a tag, an `npm:` alias)."""
    if not isinstance(dependencies, dict):
        raise BuildFailed(
            "package.json: dependencies is not an object", reason="InvalidPackageJson"
        )
    for name, spec in dependencies.items():
        text = str(spec)
        local = text.startswith(".") or any(mark in text for mark in (":", "/", "\\"))
        if local and not text.startswith("npm:"):
            raise BuildFailed(
                f"package.json: {name} {text!r} is not from the registry (only version ranges, "
                "tags and npm: aliases are supported)",
                reason="UnsupportedDependency",
            )


def _check_lock(lock: dict[str, Any], name: str) -> None:
    """Every package of the lock file is resolved to the registry (no link, no file)."""
    if "packages" not in lock:
        raise BuildFailed(
            f"{name}: a lock file of npm 6 (lockfileVersion 1); npm 7 or later rewrites it",
            reason="UnsupportedDependency",
        )
    for path, entry in (lock.get("packages") or {}).items():
        if not path or not isinstance(entry, dict):
            continue
        resolved = str(entry.get("resolved") or "https://")
        if entry.get("link") or not resolved.startswith(("https://", "http://")):
            raise BuildFailed(
                f"{name}: {path} is not resolved to the registry ({resolved!r})",
                reason="UnsupportedDependency",
            )
