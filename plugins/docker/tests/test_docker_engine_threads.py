"""A thread's engine client lives as long as the thread (the call pool ends idle threads)."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest
from docker.api.client import APIClient

from vertice_driver_docker import DockerCredentials, DockerSettings
from vertice_driver_docker.client import Engine


def test_the_client_of_a_thread_that_ended_is_closed(
    docker_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[int] = []
    original = APIClient.close

    def close(self: APIClient) -> None:
        closed.append(id(self))
        original(self)

    monkeypatch.setattr(APIClient, "close", close)
    engine = Engine(DockerSettings(base_url=docker_engine.base_url), DockerCredentials())
    used: list[int] = []

    def call() -> None:
        client = engine.client()
        assert client.version()["ApiVersion"]  # a call over the client's connection
        used.append(id(client.api))

    for _ in range(3):
        worker = threading.Thread(target=call)
        worker.start()
        worker.join()
        gc.collect()
    assert len(set(used)) == 3
    # Each ended thread's client, once (the first call's version negotiation closes a
    # client of its own too).
    assert sorted(c for c in closed if c in used) == sorted(used)
    assert len(engine._clients) == 0  # none kept for threads that are gone
    mine = engine.client()
    assert engine.client() is mine and len(engine._clients) == 1
    engine.close()
    assert len(engine._clients) == 0 and closed[-1] == id(mine.api)
