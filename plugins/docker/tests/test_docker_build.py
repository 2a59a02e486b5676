"""The Dockerfile builder against a real engine: it builds, streams, labels, fails, stops.

Every tree builds `FROM localhost/busybox:latest` (the offline test image): no
registry is reachable from the engine.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import docker.errors
import pytest

from vertice_core.builder import BuildFailed
from vertice_core.errors import TransientError
from vertice_driver_docker.building import DOCKERFILE

BASE = "FROM localhost/busybox:latest\n"


def tree_with(tmp_path: Path, dockerfile: str, **files: str) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (tree / name).write_text(text)
    return tree


def tagged(engine_client, image: str) -> bool:
    try:
        engine_client.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    return True


def test_a_tree_builds_into_a_labelled_image_that_serves_its_page(
    build_log, tmp_path, busybox_image, make_builder, make_job, engine_client, serve
):
    page = f"built by vertice {tmp_path.name}\n"
    tree = tree_with(tmp_path, BASE + "COPY index.html /www/\n", **{"index.html": page})
    builder = make_builder(DOCKERFILE)
    job = make_job(tree)

    assert builder.build(job, build_log) == job.image

    # The engine adds a LABEL step per label after the Dockerfile's own.
    assert re.search(r"^Step 1/\d : FROM localhost/busybox:latest$", build_log.text, re.M)
    assert re.search(r"^Step 2/\d : COPY index.html /www/$", build_log.text, re.M)
    labels = engine_client.images.get(job.image).labels
    assert dict(job.labels).items() <= labels.items()
    assert serve(job.image) == page


def test_a_failing_step_is_build_step_failed_naming_the_step_and_tags_nothing(
    build_log, tmp_path, busybox_image, make_builder, make_job, engine_client
):
    tree = tree_with(tmp_path, BASE + "RUN true\nRUN false\n")
    job = make_job(tree)

    with pytest.raises(BuildFailed) as failed:
        make_builder(DOCKERFILE).build(job, build_log)

    assert failed.value.reason == "BuildStepFailed"
    assert re.match(r"Step 3/\d : RUN false: ", failed.value.message)
    assert "returned a non-zero code: 1" in failed.value.message
    assert "returned a non-zero code" in build_log.text
    assert not tagged(engine_client, job.image)


def test_a_silent_step_past_the_deadline_is_stopped_and_the_engine_cancels_it(
    build_log, tmp_path, busybox_image, make_builder, make_job, engine_client
):
    tree = tree_with(tmp_path, BASE + "RUN sleep 30\n")
    job = make_job(tree, seconds=2)
    started = time.monotonic()

    with pytest.raises(BuildFailed) as failed:
        make_builder(DOCKERFILE).build(job, build_log)

    assert failed.value.reason == "BuildTimedOut"
    assert time.monotonic() - started < 10
    assert not tagged(engine_client, job.image)
    assert _sleepers_gone(engine_client)


def test_cancel_from_another_thread_stops_the_build(
    build_log, tmp_path, busybox_image, make_builder, make_job, engine_client
):
    tree = tree_with(tmp_path, BASE + "RUN sleep 30\n")
    builder = make_builder(DOCKERFILE)
    job = make_job(tree)
    seen: list[bool] = []
    # an earlier test's `sleep 30` step may still be on its way out: not this build's
    assert _sleepers_gone(engine_client)

    def cancel_once_sleeping() -> None:
        seen.append(_wait(lambda: _sleepers(engine_client), 10))
        builder.cancel()

    canceller = threading.Thread(target=cancel_once_sleeping)
    canceller.start()
    started = time.monotonic()

    with pytest.raises(BuildFailed) as failed:
        builder.build(job, build_log)

    canceller.join()
    assert seen == [True]  # the step's container ran when the build was cancelled
    assert failed.value.reason == "BuildCancelled"
    assert time.monotonic() - started < 15
    # The engine sends "Step 2/3 : RUN sleep 30" as it starts the step's container; the
    # cancel may close the stream before the builder read that line (seen under load).
    assert build_log.text.startswith("Sending the build context")
    assert not tagged(engine_client, job.image)
    assert _sleepers_gone(engine_client)


def _sleepers(engine_client) -> bool:
    """Whether a build's `sleep 30` container is on the engine (one listing of summaries: the
    SDK's `containers.list` inspects each container, and fails on one another test removed
    between the listing and the inspection)."""
    summaries = engine_client.api.containers(all=True)
    return any("sleep 30" in (c.get("Command") or "") for c in summaries)


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _sleepers_gone(engine_client, timeout: float = 15.0) -> bool:
    """Whether the engine removed the build's `sleep 30` container (it cancels on its own)."""
    return _wait(lambda: not _sleepers(engine_client), timeout)


def test_detect_wants_a_dockerfile_at_the_root(tmp_path, make_builder):
    builder = make_builder(DOCKERFILE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile").write_text(BASE)
    assert not builder.detect(tmp_path)
    (tmp_path / "Dockerfile").write_text(BASE)
    assert builder.detect(tmp_path)


def test_an_engine_that_is_down_is_transient(build_log, tmp_path, make_builder, make_job):
    tree = tree_with(tmp_path, BASE)
    builder = make_builder(DOCKERFILE, base_url=f"unix://{tmp_path}/nothing.sock")

    with pytest.raises(TransientError) as down:
        builder.build(make_job(tree), build_log)

    assert down.value.reason == "EngineDown"


def test_a_context_too_large_fails_before_the_engine_sees_it(
    build_log, tmp_path, busybox_image, make_builder, make_job, monkeypatch
):
    from vertice_driver_docker.builders import context

    monkeypatch.setattr(context, "MAX_CONTEXT_BYTES", 1024 * 1024)
    tree = tree_with(tmp_path, BASE + "COPY . /data/\n", big="x" * (2 * 1024 * 1024))

    with pytest.raises(BuildFailed) as failed:
        make_builder(DOCKERFILE).build(make_job(tree), build_log)

    assert failed.value.reason == "ContextTooLarge"
    assert "1 MiB" in failed.value.message


def test_a_dockerfile_the_engine_cannot_parse_is_build_rejected(
    build_log, tmp_path, busybox_image, make_builder, make_job
):
    tree = tree_with(tmp_path, "FROMM localhost/busybox:latest\n")

    with pytest.raises(BuildFailed) as failed:
        make_builder(DOCKERFILE).build(make_job(tree), build_log)

    assert failed.value.reason == "BuildRejected"
    assert "unknown instruction: FROMM" in failed.value.message
