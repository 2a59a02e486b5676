"""What the recipes share: a missing base image, and host tools stopped with the build."""

from __future__ import annotations

import sys
import threading
import time

import attrs
import pytest

from vertice_core.builder import BuildFailed
from vertice_core.building.recipes import shell_command
from vertice_driver_docker import baseimages
from vertice_driver_docker.builders.recipe import run_on_host
from vertice_driver_docker.builders.stopping import CANCELLED, Stopper
from vertice_driver_docker.building import STATIC


def test_a_base_image_missing_from_the_engine_fails_with_the_operators_command(
    tmp_path, busybox_image, make_builder, make_job, build_log, monkeypatch
):
    other = attrs.evolve(baseimages.BASES["static"], packages=("busybox-static", "hello"))
    monkeypatch.setitem(baseimages.BASES, "static", other)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "index.html").write_text("hi\n")
    builder = make_builder(STATIC)

    with pytest.raises(BuildFailed) as failed:
        builder.build(make_job(tree), build_log)

    assert failed.value.reason == "BaseImageMissing"
    assert other.reference in failed.value.message
    assert "python -m vertice_driver_docker.baseimages --base-url unix://" in failed.value.message


@pytest.mark.parametrize("how", ["deadline", "cancel"])
def test_a_host_tool_is_killed_at_the_deadline_or_on_cancel(tmp_path, build_log, how):
    script = "import time; print('working', flush=True); time.sleep(30)"
    deadline = time.time() + (1.5 if how == "deadline" else 60)
    started = time.monotonic()

    with Stopper(deadline) as stopper:
        if how == "cancel":
            threading.Timer(1.0, stopper.stop, [CANCELLED]).start()
        with pytest.raises(BuildFailed) as failed:
            run_on_host([sys.executable, "-c", script], tmp_path, build_log, stopper)

    assert failed.value.reason == {"deadline": "BuildTimedOut", "cancel": "BuildCancelled"}[how]
    assert time.monotonic() - started < 10
    assert "working" in build_log.text


def test_a_procfile_line_is_execd_when_it_is_one_command():
    assert shell_command("gunicorn app:app") == ("/bin/sh", "-c", "exec gunicorn app:app")
    assert shell_command("migrate && serve") == ("/bin/sh", "-c", "migrate && serve")
