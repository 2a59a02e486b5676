"""The VM regions' builders (recipes `python`, `node`, `static`): a program, not an image.

A VM region's instances boot the region's operating-system image; nothing
is built on the control plane. What these builders do, on a tree the build
controller has fetched at the exact commit:

* **detect** the recipe as the Docker plugin's recipes do (a `requirements.txt`
  or `pyproject.toml`; a `package.json`; an `index.html` at the root, in
  `public/` or in `dist/`: `vertice_core.building.recipes`), a Dockerfile
  being no recipe of theirs (a VM has no engine);
* **check** that the tree can run: its entry point (the Procfile's `web:`
  line, a WSGI app, npm's start script, the site's folder), so a tree that
  cannot start fails here with `NoEntryPoint` rather than on every VM;
* **make the program** (`vertice_core.program.Program`): the repository's URL,
  the commit, the recipe and the start line, written to the log, and return
  its reference, which becomes the release. The reconciler hands it to the VM
  drivers, whose cloud-init fetches that commit on the VM, prepares it and
  runs it as a systemd unit (`vertice_drivers.vmprogram`).

None of the repository's code runs on the control plane's host. The VMs
fetch the repository themselves, so it must be public: a source with a token
or deploy key is refused when it is declared (`BuilderInfo.private_sources`),
and a build of one fails with `SourceNotPublic`.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from vertice_core.builder import Builder, BuilderInfo, BuildFailed, BuildJob, BuildLog
from vertice_core.building import recipes
from vertice_core.program import Program

__all__ = ["NODE_VM", "PYTHON_VM", "STATIC_VM", "VM_CLOUD_TYPES", "VmBuilder"]

#: The cloud types whose instances are VMs booted with cloud-init (`vertice_drivers.cloudinit`).
VM_CLOUD_TYPES = frozenset({"aws", "azure", "gce", "opennebula", "softlayer", "openstack"})


def _info(name: str, priority: int, description: str) -> BuilderInfo:
    return BuilderInfo(
        name=name,
        factory=f"vertice_drivers.vmbuild:{name.capitalize()}VmBuilder",
        cloud_types=VM_CLOUD_TYPES,
        priority=priority,
        description=description,
        private_sources=False,
    )


PYTHON_VM = _info("python", 20, "a VM fetches the commit, installs it in a venv, runs gunicorn")
NODE_VM = _info("node", 30, "a VM fetches the commit, runs npm ci and the start script")
STATIC_VM = _info("static", 40, "a VM fetches the commit and serves the site with busybox httpd")


class VmBuilder(Builder):
    """A recipe for VMs (see the module's docstring); subclasses say which."""

    def detect(self, tree: Path) -> bool:
        return not (tree / "Dockerfile").is_file() and self.applies(tree)

    def applies(self, tree: Path) -> bool:
        raise NotImplementedError

    def start(self, tree: Path) -> tuple[str, ...]:
        """The command that serves the tree (`NoEntryPoint` when there is none)."""
        raise NotImplementedError

    def build(self, job: BuildJob, log: BuildLog) -> str:
        if job.private:
            raise BuildFailed(
                "a VM fetches the source itself, so the repository must be public (no token "
                "or deploy key)",
                reason="SourceNotPublic",
            )
        command = self.start(job.tree)
        program = Program(
            url=job.url,
            commit=job.commit,
            recipe=self.name,
            start=_line(command),
            subdirectory=job.subdirectory,
            ref=job.ref,
        )
        log.write(
            f"The VMs fetch {job.url} at {job.commit} and run, from "
            f"{program.subdirectory or 'the repository'}:\n  {program.start}\n"
            "as the systemd unit vertice-app.service, with PORT=8080.\n"
        )
        return program.reference()


class PythonVmBuilder(VmBuilder):
    """requirements.txt / pyproject.toml -> a venv on the VM, served by gunicorn."""

    name = "python"

    def applies(self, tree: Path) -> bool:
        return (tree / "requirements.txt").is_file() or (tree / "pyproject.toml").is_file()

    def start(self, tree: Path) -> tuple[str, ...]:
        return recipes.python_command(tree)


class NodeVmBuilder(VmBuilder):
    """package.json -> npm ci on the VM, the start script."""

    name = "node"

    def applies(self, tree: Path) -> bool:
        return (tree / "package.json").is_file()

    def start(self, tree: Path) -> tuple[str, ...]:
        return recipes.node_command(tree, recipes.package_json(tree))


class StaticVmBuilder(VmBuilder):
    """index.html -> the folder it is in, served by busybox httpd on the VM."""

    name = "static"

    def applies(self, tree: Path) -> bool:
        return recipes.site_root(tree) is not None

    def start(self, tree: Path) -> tuple[str, ...]:
        folder = recipes.site_folder(tree)
        return recipes.shell_command(f'busybox httpd -f -p "$PORT" -h ./{folder}')


def _line(command: tuple[str, ...]) -> str:
    """The shell line of a recipe's command (`sh -c LINE`, or an argv quoted)."""
    if len(command) == 3 and command[:2] == ("/bin/sh", "-c"):
        return command[2]
    return "exec " + shlex.join(command)
