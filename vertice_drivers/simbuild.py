"""The simulated cloud's builder (recipe `sim`): builds for `sim` regions, running nothing.

A sim region's instances run no code, so there is nothing to compile: the
builder reads the tree, writes what it holds to the log, and names the image
after a digest of its contents (`sim/<digest>`), so the same commit always
makes the same image and a changed tree a new one. It runs none of the
repository's code on the control plane's host.

Like the sim cloud, it can be made to misbehave, here by the repository
itself: a `SIMBUILD` file at the tree's root holds directives, one per line,
that tests and demonstrations use:

| directive     | effect                                                         |
|---------------|----------------------------------------------------------------|
| `sleep S`     | the build takes S more seconds (it honours its deadline and `cancel`) |
| `log N`       | writes N more lines of log (for the log's size limit)         |
| `fail TEXT`   | the build fails with reason `BuildStepFailed` and TEXT        |
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

from vertice_core.builder import Builder, BuilderInfo, BuildFailed, BuildJob, BuildLog

#: Files read into the digest at most (a bigger tree fails: it is a simulation).
MAX_FILES = 10_000

SIM_BUILDER = BuilderInfo(
    name="sim",
    factory="vertice_drivers.simbuild:SimBuilder",
    cloud_types=frozenset({"sim"}),
    priority=100,
    description="the simulated cloud's builder: an image named by the tree's digest, nothing run",
)


class SimBuilder(Builder):
    """See the module's docstring."""

    name = "sim"

    def __init__(self, config: object) -> None:
        super().__init__(config)  # type: ignore[arg-type]
        self._cancelled = threading.Event()

    def detect(self, tree: Path) -> bool:
        """Any tree: the simulated cloud runs whatever it is given."""
        return tree.is_dir()

    def build(self, job: BuildJob, log: BuildLog) -> str:
        digest = hashlib.sha256()
        files = sorted(p for p in job.tree.rglob("*") if p.is_file() and ".git" not in p.parts)
        if len(files) > MAX_FILES:
            raise BuildFailed(f"the tree holds over {MAX_FILES} files", reason="ContextTooLarge")
        for path in files:
            relative = path.relative_to(job.tree).as_posix()
            content = path.read_bytes()
            digest.update(relative.encode() + b"\0" + content + b"\0")
            log.write(f"  {relative} ({len(content)} bytes)\n")
        directives = job.tree / "SIMBUILD"
        if directives.is_file():
            self._follow(directives.read_text(errors="replace"), job, log)
        image = f"sim/{digest.hexdigest()[:16]}"
        log.write(f"built {image} from {len(files)} files at {job.commit[:12]}\n")
        return image

    def _follow(self, text: str, job: BuildJob, log: BuildLog) -> None:
        for line in text.splitlines():
            verb, _, argument = line.strip().partition(" ")
            if verb == "sleep":
                self._sleep(float(argument or 0), job)
            elif verb == "log":
                for n in range(int(argument or 0)):
                    log.write(f"step output line {n}\n")
            elif verb == "fail":
                raise BuildFailed(argument or "SIMBUILD says fail", reason="BuildStepFailed")

    def _sleep(self, seconds: float, job: BuildJob) -> None:
        end = time.time() + seconds
        while time.time() < end:
            if self._cancelled.wait(min(0.05, max(0.0, end - time.time()))):
                raise BuildFailed("the build was cancelled", reason="BuildCancelled")
            if time.time() > job.deadline:
                raise BuildFailed("the build ran past its time limit", reason="BuildTimedOut")

    def cancel(self) -> None:
        self._cancelled.set()
