"""Builds against the sim region: an installation whose sources may be local repositories.

The repositories are real git repositories under the test's folder, fetched by
the real `git` over `file://` (the HTTP backend and git daemon are tested in
`test_source.py` and the Docker builds); the builder is the sim region's own
(`vertice_drivers.simbuild`), which runs nothing of the repository.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from vertice_core.config import BuildSettings, Config
from vertice_testing.gitserve import make_repository

#: Builds here: local sources allowed, a short time limit, a small log.
SETTINGS = BuildSettings(allow_local=True, timeout=20, log_limit=4096, workers=2,
                         project_limit=2)  # fmt: skip


@pytest.fixture
def config(config: Config) -> Config:
    """The harness's installation, with `SETTINGS` for its builds."""
    return attrs.evolve(config, builds=SETTINGS)


@pytest.fixture
def repository(tmp_path: Path) -> Callable[..., str]:
    """Commit files to the test's repository (`app`); the commit's SHA."""

    def commit(files: dict[str, str], **options: Any) -> str:
        return make_repository(tmp_path / "app", files, **options)

    return commit


@pytest.fixture
def source_url(tmp_path: Path) -> str:
    """The `file://` URL of the test's repository."""
    return f"file://{tmp_path / 'app'}"


@pytest.fixture
def until() -> Callable[..., Any]:
    """`until(done, step)`: call `step` until `done()` is truthy; its value (fails after
    `timeout` seconds)."""

    def wait(done: Callable[[], Any], step: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = done()
            if found:
                return found
            assert time.monotonic() < deadline, "timed out"
            step()
            time.sleep(0.02)

    return wait
