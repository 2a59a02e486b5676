"""Wheels as a user's `pip install` builds them, and what they hold and require.

setuptools builds inside the project folder and keeps its `build/` there: a
module removed from the sources stays in `build/lib`, and in every wheel built
from that folder afterwards. `build_wheel` therefore builds from a copy of the
project without build output, metadata or caches, so a test sees what the
sources make, whatever an earlier build left behind.
"""

from __future__ import annotations

import email.parser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

#: Folder and file names that are build output, metadata or caches at any depth.
_NOT_SOURCES = ("build", "dist", "__pycache__")
#: Names a module or package of test support takes; none belongs in a driver's wheel.
TEST_SUPPORT = ("test", "tests", "testing", "conftest", "peer", "fake", "mock")


def _not_sources(folder: str, names: list[str]) -> set[str]:
    """`shutil.copytree`'s ignore: build output, egg-info, caches, hidden folders (.venv)."""
    return {
        name
        for name in names
        if name in _NOT_SOURCES or name.endswith(".egg-info") or name.startswith(".")
    }


def source_copy(project: Path, folder: Path) -> Path:
    """A copy of `project`'s sources at `folder`, without build output, metadata, caches or
    hidden folders: what pip builds from it is what the sources make, and building leaves
    nothing in `project`."""
    shutil.copytree(project, folder, ignore=_not_sources)
    return folder


def build_wheel(project: Path, folder: Path) -> Path:
    """The wheel of `project` (without its dependencies), built into `folder` from a clean
    copy of the project's sources."""
    source = source_copy(project, folder / "source")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", folder, source]
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"building {project}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    (wheel,) = folder.glob("*.whl")
    return wheel


def wheel_files(wheel: Path) -> list[str]:
    """The paths of every file in `wheel`."""
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def wheel_requires(wheel: Path) -> list[str]:
    """The `Requires-Dist` lines of `wheel`'s metadata."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(archive.read(name).decode())
    return metadata.get_all("Requires-Dist") or []


def peers_and_tests_in(files: list[str]) -> list[str]:
    """The files of a wheel that are test support: a path part (folder or module) named
    like one of TEST_SUPPORT, or starting or ending with it (`test_x.py`, `arm_peer/`)."""
    found = []
    for path in files:
        parts = [part.removesuffix(".py") for part in path.split("/")[:-1]]
        if path.endswith(".py"):
            parts.append(path.rsplit("/", 1)[-1].removesuffix(".py"))
        for part in parts:
            words = part.lower().split("_")
            if any(word in TEST_SUPPORT for word in words):
                found.append(path)
                break
    return found


def assert_requires_the_core(requires: list[str], core_version: str) -> None:
    """`requires` (a distribution's requirements) holds one unconditional `vertice-core`
    requirement that `core_version` meets and the core's next minor version does not, and
    no requirement of `vertice` (that name on the package index is an unrelated project)."""
    requirements = [Requirement(line) for line in requires]
    assert "vertice" not in {canonicalize_name(r.name) for r in requirements}, requires
    core = [r for r in requirements if canonicalize_name(r.name) == "vertice-core"]
    assert len(core) == 1, requires
    assert core[0].marker is None, core  # not only with an extra
    version = Version(core_version)
    assert core[0].specifier.contains(version), (core, core_version)
    next_minor = Version(f"{version.major}.{version.minor + 1}")
    assert not core[0].specifier.contains(next_minor), (core, "needs an upper bound")
