"""The metrics folder one installation's processes share on a machine (issue 16): a process
never removes another's live files, and the files of ended processes go only when no
sum is carried on (`vertice_core.metrics_folder`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import values

from vertice_core import metrics_folder
from vertice_core.config import Config

KINDS = ("counter", "histogram", "gauge_livemax")


@pytest.fixture
def ended() -> int:
    """The pid of a process that has run and been reaped."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


@pytest.fixture
def running() -> Iterator[int]:
    """The pid of another process that runs for the test's length."""
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as child:
        yield child.pid
        child.kill()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """An installation whose shared memory is the test's, with no folder named yet; the
    environment and prometheus-client's mode come back as they were after the test."""
    shm = tmp_path / "shm"
    shm.mkdir()
    monkeypatch.setattr(metrics_folder, "SHARED_MEMORY", shm)
    monkeypatch.setenv(metrics_folder.VARIABLE, "")
    monkeypatch.setattr(values, "ValueClass", values.ValueClass)
    return Config(home=tmp_path / "home", database_url="sqlite://")


def files(folder: Path, *pids: int) -> list[Path]:
    """prometheus-client's files of these processes, made in `folder`."""
    made = [folder / f"{kind}_{pid}.db" for pid in pids for kind in KINDS]
    for path in made:
        path.write_bytes(b"")
    return made


def names(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def test_the_writer_is_the_pid_in_the_file_name() -> None:
    assert metrics_folder.writer(Path("gauge_livemax_1234.db")) == 1234
    assert metrics_folder.writer(Path("counter_7.db")) == 7
    for other in ("counter_0.db", "counter_x.db", "counter_12.txt", "notes"):
        assert metrics_folder.writer(Path(other)) is None, other


def test_tidy_removes_the_files_of_ended_processes_only(
    tmp_path: Path, ended: int, running: int
) -> None:
    kept = files(tmp_path, os.getpid(), running)
    files(tmp_path, ended)
    (tmp_path / "notes").write_text("not prometheus-client's")
    metrics_folder.tidy(tmp_path, counts=True)
    assert names(tmp_path) == {path.name for path in kept} | {"notes"}


def test_without_counts_tidy_removes_the_ended_processes_live_gauges(
    tmp_path: Path, ended: int, running: int
) -> None:
    kept = files(tmp_path, running)
    files(tmp_path, ended)
    metrics_folder.tidy(tmp_path, counts=False)
    assert names(tmp_path) == {p.name for p in kept} | {f"{k}_{ended}.db" for k in KINDS[:2]}


def test_the_folder_is_named_after_the_home_and_made_the_users_alone(config: Config) -> None:
    folder = metrics_folder.claim(config)
    assert folder == metrics_folder.folder_for(config)
    assert folder.parent == metrics_folder.SHARED_MEMORY
    assert os.environ[metrics_folder.VARIABLE] == str(folder)
    assert folder.stat().st_mode & 0o777 == 0o700
    other = Config(home=config.home.parent / "other", database_url="sqlite://")
    assert metrics_folder.folder_for(other) != folder


def test_the_api_keeps_a_running_reconcilers_files_and_removes_ended_ones(
    config: Config, ended: int, running: int
) -> None:
    """The API's start emptied the folder, a reconciler started apart with it."""
    folder = metrics_folder.folder_for(config)
    folder.mkdir(mode=0o700)
    reconciler = files(folder, running)
    files(folder, ended)
    assert metrics_folder.open_for_api(config) == folder
    assert names(folder) == {path.name for path in reconciler}
    metrics_folder.close_for_api(folder)
    assert names(folder) == {path.name for path in reconciler}


def test_a_folder_named_in_the_environment_is_used_as_it_is(
    config: Config, tmp_path: Path, ended: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = tmp_path / "named"
    named.mkdir()
    left = files(named, ended)
    monkeypatch.setenv(metrics_folder.VARIABLE, str(named))
    assert metrics_folder.open_for_api(config) is None
    assert metrics_folder.open_for_reconciler(config) is None
    assert names(named) == {path.name for path in left}


def test_a_planted_link_gives_way_to_the_folder_under_the_home(
    config: Config, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    metrics_folder.folder_for(config).symlink_to(elsewhere)
    assert metrics_folder.claim(config) == config.home / "metrics"


def test_a_reconciler_keeps_ended_counts_while_another_process_sums_them(
    config: Config, ended: int, running: int
) -> None:
    folder = metrics_folder.folder_for(config)
    folder.mkdir(mode=0o700)
    api = files(folder, running)
    files(folder, ended)
    assert metrics_folder.open_for_reconciler(config) == folder
    counts = {f"{kind}_{ended}.db" for kind in KINDS[:2]}
    assert names(folder) == {path.name for path in api} | counts
    mine = files(folder, os.getpid())
    metrics_folder.close_for_reconciler(folder)
    assert names(folder) == {path.name for path in api + mine} | counts


def test_a_reconciler_alone_leaves_nothing_behind(config: Config, ended: int) -> None:
    folder = metrics_folder.folder_for(config)
    folder.mkdir(mode=0o700)
    files(folder, ended)
    assert metrics_folder.open_for_reconciler(config) == folder
    assert names(folder) == set()
    files(folder, os.getpid())
    metrics_folder.close_for_reconciler(folder)
    assert names(folder) == set()


def test_metrics_made_after_the_claim_write_to_the_folder(config: Config) -> None:
    """prometheus-client is imported before a command names the folder (its settings are
    checked first): `vertice reconcile` wrote no files, and nothing reached `/metrics`."""
    from prometheus_client import CollectorRegistry, Counter

    folder = metrics_folder.claim(config)
    assert folder is not None
    Counter("probe", "a count", registry=CollectorRegistry()).inc()
    assert names(folder) == {f"counter_{os.getpid()}.db"}
