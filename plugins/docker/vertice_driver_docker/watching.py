"""`DockerDriver.watch`: the engine's event stream (`GET /events`), followed until stopped.

The stream is asked for the container events that mean a container no longer runs
as it did (`EVENTS`: died, stopped, killed, out of memory, paused, removed); the
driver's own creates and starts are not among them. The engine filters by type and
action; the installation's containers are picked here, as `observe` picks them
(`translate.is_ours`, from the event's attributes: the container's labels and its
name), because an adopted container carries no installation label, only a name of
the installation's, and the engine cannot filter by "this label, or else this name".
Another installation's events are read and dropped: a few bytes each.

`stop` is waited on by a second thread that closes the stream
(`CancellableStream.close()`, which shuts its socket down): the blocked read ends at
once. A stream that ends while `stop` is not set (the engine restarted, the
connection dropped) raises `TransientError`, reason `EngineDown`, and a failure to
open it is translated as every call's (`client.translated`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

import docker

from vertice_core.errors import TransientError
from vertice_driver_docker.client import translate, translated
from vertice_driver_docker.translate import is_ours

#: The container actions that tell of a container that stopped running as it did.
EVENTS = ("die", "stop", "kill", "oom", "pause", "destroy")


def watch(
    api: docker.APIClient,
    installation_id: str,
    changed: Callable[[], None],
    stop: threading.Event,
) -> None:
    """Call `changed()` for each event of `EVENTS` about a container of the installation,
    until `stop` is set (then return within a moment)."""
    if stop.is_set():
        return
    with translated("watch"):
        stream = api.events(decode=True, filters={"type": "container", "event": list(EVENTS)})
    done = threading.Event()
    closer = threading.Thread(
        target=_close_when, args=(stream, stop, done), name="vertice-docker-watch", daemon=True
    )
    closer.start()
    try:
        for event in stream:
            if stop.is_set():
                break
            if _concerns(event, installation_id):
                changed()
    except Exception as exc:
        if not stop.is_set():  # else: the read the closing cut short
            raise translate(exc, "watch") from None
    finally:
        done.set()
        closer.join()
    if not stop.is_set():
        raise TransientError("docker: the engine closed its event stream", reason="EngineDown")


def _close_when(stream: Any, stop: threading.Event, done: threading.Event) -> None:
    """Close `stream` once `stop` is set (or the watch ended of itself)."""
    while not stop.wait(0.2):
        if done.is_set():
            break
    with contextlib.suppress(Exception):  # closed already, or the socket is gone
        stream.close()


def _concerns(event: Mapping[str, Any], installation_id: str) -> bool:
    """Whether a container event is about a container of the installation."""
    attributes = (event.get("Actor") or {}).get("Attributes") or {}
    summary = {"Labels": attributes, "Names": [str(attributes.get("name") or "")]}
    return is_ours(summary, installation_id)
