"""The Dockerfile builder, and the one path every docker build takes to the engine.

`DockerfileBuilder.build` writes the build context (`ContextWriter`: the tree,
bounded, `.git` left out, no link followed), then sends it to the region's
engine with the SDK's low-level `build` (the engine's own builder: Debian's
docker.io 20.10 has no BuildKit here), and streams what the engine prints to
the build's log as it arrives. The recipes (`python`, `node`, `static`)
subclass it and only change `fill`: what goes into the context, their
generated Dockerfile included; sending, streaming, stopping and the errors are
this module's.

* An `error` chunk (a step failed) is `BuildFailed` `BuildStepFailed`, its
  message prefixed with the step (`Step 2/3 : RUN false: The command ...
  returned a non-zero code: 1`); the engine tags nothing and removes the
  step's container (`forcerm`).
* Past the deadline, or on `cancel()`, the stream's socket is shut down
  (`stopping.Stopper`): the engine sees its client leave and cancels the
  build; `BuildTimedOut` / `BuildCancelled`.
* The engine unreachable, or its stream cut short: `TransientError` (through
  `client.translated`, the driver's own mapping). A request the engine refuses
  outright (400: a Dockerfile it cannot parse) is `BuildFailed` `BuildRejected`.
* `pull=False`: no registry is reachable from an engine here, and a build must
  not change what a `FROM` means behind the user's back.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import requests

from vertice_core.builder import Builder, BuildFailed, BuildJob, BuildLog
from vertice_core.driver import RegionConfig
from vertice_core.errors import DriverError, TransientError
from vertice_driver_docker.builders.context import ContextWriter
from vertice_driver_docker.builders.stopping import CANCELLED, Stopper
from vertice_driver_docker.client import Engine, translate, translated

__all__ = ["DockerfileBuilder"]

#: Seconds a read of the build's stream may wait beyond the deadline before the transport
#: gives up by itself (the watchdog normally stops it at the deadline).
READ_GRACE = 60


class DockerfileBuilder(Builder):
    """Builds a tree with a `Dockerfile` at its root on the region's engine."""

    name = "dockerfile"
    #: Widen the context's modes (`ContextWriter.readable`): the recipes', not a Dockerfile's.
    readable_context = False

    def __init__(self, config: RegionConfig) -> None:
        super().__init__(config)
        self.engine = Engine(config.settings, config.credentials)
        self._lock = threading.Lock()
        self._stoppers: set[Stopper] = set()

    def detect(self, tree: Path) -> bool:
        return (tree / "Dockerfile").is_file()

    def build(self, job: BuildJob, log: BuildLog) -> str:
        with self._stopping(job) as stopper:
            context = job.scratch / "context.tar"
            with ContextWriter(context, readable=self.readable_context) as writer:
                self.fill(job, log, writer, stopper)
            stopper.check()
            return self._send(job, log, context, stopper)

    def fill(self, job: BuildJob, log: BuildLog, writer: ContextWriter, stopper: Stopper) -> None:
        """Write the build context: here, the tree as it is, with its own Dockerfile."""
        if not self.detect(job.tree):
            raise BuildFailed(
                "there is no Dockerfile at the root of the tree", reason="NoDockerfile"
            )
        writer.add_tree(job.tree)

    def cancel(self) -> None:
        """Stop the builds in flight on this builder (one, when the controller runs them)."""
        with self._lock:
            stoppers = list(self._stoppers)
        for stopper in stoppers:
            stopper.stop(CANCELLED)

    def close(self) -> None:
        self.engine.close()

    # -- the engine's side --

    @contextlib.contextmanager
    def _stopping(self, job: BuildJob) -> Iterator[Stopper]:
        with Stopper(job.deadline) as stopper:
            with self._lock:
                self._stoppers.add(stopper)
            try:
                yield stopper
            finally:
                with self._lock:
                    self._stoppers.discard(stopper)

    def _send(self, job: BuildJob, log: BuildLog, context: Path, stopper: Stopper) -> str:
        """Send the context to the engine and stream the build to the log; the image."""
        log.write(f"Sending the build context ({context.stat().st_size / 1e6:.1f} MB)\n")
        with translated("build", job.image):
            api = self.engine.client().api
        responses: list[requests.Response] = []

        def capture(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            responses.append(response)
            stopper.attach(response.raw.shutdown)

        api.hooks["response"].append(capture)
        try:
            with context.open("rb") as body:
                chunks = api.build(
                    fileobj=body,
                    custom_context=True,
                    tag=job.image,
                    labels=dict(job.labels),
                    rm=True,
                    forcerm=True,
                    pull=False,
                    decode=True,
                    timeout=int(stopper.remaining()) + READ_GRACE,
                    use_config_proxy=False,
                )
                built = _stream(chunks, log, stopper)
        except DriverError:
            raise
        except Exception as exc:
            stopper.check()  # a stop is why the stream broke
            raise _failure(exc, job.image) from exc
        finally:
            stopper.detach()
            api.hooks["response"].remove(capture)
            for response in responses:
                with contextlib.suppress(Exception):
                    response.close()
        stopper.check()
        if not built:
            raise TransientError(
                f"docker: build {job.image}: the engine's stream ended before the build did",
                reason="EngineDown",
            )
        with translated("inspect image", job.image):
            self.engine.client().images.get(job.image)
        return job.image


def _stream(chunks: Iterator[Any], log: BuildLog, stopper: Stopper) -> bool:
    """Write the engine's chunks to the log; whether the build finished (raises if it failed)."""
    step = ""
    built = False
    for chunk in chunks:
        stopper.check()
        if not isinstance(chunk, dict):
            continue
        if "error" in chunk or "errorDetail" in chunk:
            detail = chunk.get("errorDetail") or {}
            message = str(chunk.get("error") or detail.get("message") or "the build failed")
            log.write(message.rstrip("\n") + "\n")
            raise BuildFailed(f"{step}: {message}" if step else message, reason="BuildStepFailed")
        text = chunk.get("stream")
        if isinstance(text, str):
            log.write(text)
            if text.startswith("Step "):
                step = text.strip()
            built = built or text.startswith("Successfully built ")
        status = chunk.get("status")
        if isinstance(status, str):
            parts = (chunk.get("id"), status, chunk.get("progress"))
            log.write(" ".join(str(part) for part in parts if part) + "\n")
        aux = chunk.get("aux")
        built = built or (isinstance(aux, dict) and "ID" in aux)
    return built


def _failure(exc: Exception, image: str) -> DriverError:
    """What a failed build request is: refused as asked (400), or the engine's trouble."""
    if isinstance(exc, docker.errors.APIError) and exc.status_code == 400:
        return BuildFailed(
            f"the engine refused the build: {exc.explanation}", reason="BuildRejected"
        )
    return translate(exc, "build", image)
