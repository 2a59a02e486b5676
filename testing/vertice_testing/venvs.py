"""Fresh virtual environments for tests of what a user installs: the core and one plugin.

`checkout_wheels(checkout, folder)` builds the wheels of the core
(`vertice-core`) and of this harness (`vertice-testing`) from a vertice
checkout; `Venv` makes a new environment holding them, installs into it and
runs its commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from vertice_testing.wheels import build_wheel


def run(*command: str | Path, cwd: Path | None = None, timeout: float = 900) -> str:
    """Run a command; its output, or an AssertionError with the end of it."""
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


#: Lists the environment's distributions as JSON: canonical name -> [version, requirements].
_DISTRIBUTIONS = """
import importlib.metadata, json, re
print(json.dumps({
    re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): [d.version, d.requires or []]
    for d in importlib.metadata.distributions()
}))
"""


def checkout_wheels(checkout: Path, folder: Path) -> tuple[Path, Path]:
    """The wheels of the core (`vertice-core`) and of the test harness (`vertice-testing`),
    built from the vertice checkout `checkout` into `folder`."""
    core = build_wheel(checkout, folder / "core")
    harness = build_wheel(checkout / "testing", folder / "testing")
    assert core.name.startswith("vertice_core-"), core
    assert harness.name.startswith("vertice_testing-"), harness
    return core, harness


class Venv:
    """A new virtual environment holding the core (with PostgreSQL support), the test
    harness and pytest, from the wheels of `checkout_wheels`.

    Unless `with_pip` (for what runs pip itself in it), it has no pip of its own: the
    running interpreter's pip installs into it (`pip --python`). Installs compile
    nothing (what runs is compiled when first imported). Both save most of the time a
    fresh venv took that was not the installation itself (about 3 s of ensurepip, and
    a compilation of every module of every distribution, per venv)."""

    def __init__(self, path: Path, core: Path, harness: Path, *, with_pip: bool = False) -> None:
        self.path = path
        run(sys.executable, "-m", "venv", *(() if with_pip else ("--without-pip",)), path)
        self.pip(
            "install",
            f"vertice-core[postgresql] @ {core.as_uri()}",
            f"vertice-testing @ {harness.as_uri()}",
            "pytest",
        )

    def bin(self, name: str) -> Path:
        """A command of the environment."""
        return self.path / "bin" / name

    def pip(self, *args: str | Path) -> str:
        """`pip ARGS` for the environment (quietly; an install compiles nothing)."""
        extra = ("--no-compile",) if args[:1] == ("install",) else ()
        return run(
            sys.executable, "-m", "pip", "--python", self.bin("python"), *args[:1], "--quiet",
            *extra, *args[1:],
        )  # fmt: skip

    def run(self, name: str, *args: str | Path, cwd: Path | None = None) -> str:
        """Run the environment's `name` command (in `cwd`, by default the environment's folder)."""
        return run(self.bin(name), *args, cwd=cwd or self.path)

    def distributions(self) -> dict[str, tuple[str, list[str]]]:
        """The installed distributions: canonical name -> (version, its requirements)."""
        # Run in the environment's folder, not in a checkout: `python -c` puts the working
        # folder on sys.path, and the editable installs' metadata there would count.
        found = json.loads(self.run("python", "-c", _DISTRIBUTIONS))
        return {name: (version, requires) for name, (version, requires) in found.items()}

    def drivers(self) -> dict[str, str]:
        """`vertice drivers` of the environment: cloud type -> its line."""
        listing = self.run("vertice", "drivers")
        return {line.split()[0]: line for line in listing.splitlines() if line.strip()}
