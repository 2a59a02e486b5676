"""The peer of the Azure driver's tests: Resource Manager and Microsoft Entra over HTTPS.

No emulator of Azure exists, so `tests/azure_arm_peer` is one (see its
modules; it lives beside the tests, not in the driver's package, so a user's
install of the driver never gets it). This conftest puts `tests/` on
`sys.path` (tests run with `--import-mode=importlib`), starts the peer for
the session on a free port of 127.0.0.1, with a self-signed certificate for
127.0.0.1 made here with `cryptography` (azure-core refuses to send bearer
tokens over plain HTTP), and hands each test an emptied peer:

* `azure_server` (session): the peer, knowing the service principal and the
  subnet of `azure_arm_peer.account`;
* `azure` (per test): the same peer, emptied first; faults, timings, quota
  and permissions back to their defaults after the test, and started again if
  the test stopped it;
* `peer_certificate` (session): the PEM file to trust (`ca_bundle`);
* `recorded` (session): the recorded documents themselves.

Its replies are built from the recorded files in `tests/fixtures/`
(`azure_arm/` and `azure_sdk_python/`, see SOURCES.md there).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if str(Path(__file__).resolve().parent / "tests") not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent / "tests"))

from azure_arm_peer.account import account_peer
from azure_arm_peer.documents import Recorded
from azure_arm_peer.peer import AzurePeer
from azure_arm_peer.tls import self_signed

#: Recorded replies (see SOURCES.md beside them).
FIXTURES = Path(__file__).resolve().parent / "tests" / "fixtures"


@pytest.fixture(scope="session")
def recorded() -> Recorded:
    """The recorded Azure replies the peer's documents are made from."""
    return Recorded(FIXTURES)


@pytest.fixture(scope="session")
def peer_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The peer's self-signed certificate and key (the certificate is the CA bundle)."""
    return self_signed(tmp_path_factory.mktemp("azure-tls"))


@pytest.fixture(scope="session")
def azure_server(peer_certificate: tuple[Path, Path]) -> Iterator[AzurePeer]:
    """The Azure peer on a free port of 127.0.0.1, for the whole session."""
    cert, key = peer_certificate
    peer = account_peer(FIXTURES, cert, key)
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def azure(azure_server: AzurePeer) -> Iterator[AzurePeer]:
    """The Azure peer, emptied first; defaults again after the test."""
    azure_server.reset()
    yield azure_server
    azure_server.clear()
    azure_server.arm.boot, azure_server.arm.halt = 0.3, 0.2
    azure_server.arm.cores_quota = None
    azure_server.arm.etags = True
    azure_server.page_size = 2
    azure_server.forbidden.clear()
    if azure_server._server is None:
        azure_server.start()
