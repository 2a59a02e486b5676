"""The Compute peer's fixtures; the peer itself is `gce_compute_peer.ComputePeer`.

Tests run with `--import-mode=importlib` and have no packages, so the peer's
module (named to stay unique across the repository) is put on `sys.path` here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from gce_compute_peer import ComputePeer
from vertice_testing.peers import for_the_session


@pytest.fixture(scope="session")
def compute_server() -> Iterator[ComputePeer]:
    """The Compute peer on a free port of 127.0.0.1, for the whole session."""
    yield from for_the_session(ComputePeer())


@pytest.fixture
def compute(compute_server: ComputePeer) -> Iterator[ComputePeer]:
    """The Compute peer, emptied first; no faults and default timings again after the test."""
    compute_server.reset()
    yield compute_server
    compute_server.clear()
    compute_server.boot, compute_server.halt, compute_server.skew = 0.3, 0.2, 0.0
    compute_server.bake = 0.3
    compute_server.forbidden.clear()
    if compute_server._server is None:
        compute_server.start()
