"""Fresh virtual environments for tests of what a user installs: the core and one plugin.

`core_wheel()` builds the core's wheel from this checkout once; `Venv` makes
a new environment, installs into it and runs its commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from vertice_testing.wheels import build_wheel

#: The repository this package was installed (editable) from.
ROOT = Path(__file__).resolve().parent.parent


def run(*command: str | Path, cwd: Path = ROOT, timeout: float = 900) -> str:
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


def core_wheel(folder: Path) -> Path:
    """A wheel of the core (`vertice-core`) built from this checkout into `folder`."""
    wheel = build_wheel(ROOT, folder)
    assert wheel.name.startswith("vertice_core-"), wheel
    return wheel


class Venv:
    """A new virtual environment holding the core (with PostgreSQL support) and pytest."""

    def __init__(self, path: Path, wheel: Path) -> None:
        self.path = path
        run(sys.executable, "-m", "venv", path)
        self.pip("install", f"vertice-core[postgresql] @ {wheel.as_uri()}", "pytest")

    def bin(self, name: str) -> Path:
        """A command of the environment."""
        return self.path / "bin" / name

    def pip(self, *args: str | Path) -> str:
        """`pip ARGS` in the environment (quietly)."""
        return run(self.bin("pip"), *args[:1], "--quiet", *args[1:])

    def run(self, name: str, *args: str | Path, cwd: Path = ROOT) -> str:
        """Run the environment's `name` command."""
        return run(self.bin(name), *args, cwd=cwd)

    def distributions(self) -> dict[str, tuple[str, list[str]]]:
        """The installed distributions: canonical name -> (version, its requirements)."""
        # Not from the checkout: `python -c` puts the working folder on sys.path, and the
        # editable installs' metadata there would count as installed.
        found = json.loads(self.run("python", "-c", _DISTRIBUTIONS, cwd=self.path))
        return {name: (version, requires) for name, (version, requires) in found.items()}

    def drivers(self) -> dict[str, str]:
        """`vertice drivers` of the environment: cloud type -> its line."""
        listing = self.run("vertice", "drivers")
        return {line.split()[0]: line for line in listing.splitlines() if line.strip()}
