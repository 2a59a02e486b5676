"""Ports of 127.0.0.1 for the servers that tests and testkits start.

Binding port 0 and closing the socket again hands out a port of the kernel's
ephemeral range (`net.ipv4.ip_local_port_range`, 32768-60999 by default): the range
every outgoing connection takes its source port from. Between that close and the
server's own bind, a client connection of some other test running at the same time
can take the port, and the server fails with "address already in use" (Caddy did,
once in a CI run of 4,500 tests). `free_port` takes ports below that range instead,
where the kernel never picks a source port: from a slice of its own for each
pytest-xdist worker (two workers never pick the same port), at random within it,
never twice in one process, and only a port a probe can bind right now.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

#: The lowest port handed out.
LOWEST = 10_000
#: Slices of the range below the ephemeral ports: one per xdist worker (`gwN`, N mod
#: SLICES); processes outside pytest-xdist use the last one.
SLICES = 16
#: Candidates tried before falling back to a port the kernel picks.
TRIES = 200

_given: set[int] = set()


def _ephemeral_floor() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _slice() -> range:
    """This process's slice of [LOWEST, the ephemeral floor), or an empty range."""
    width = (_ephemeral_floor() - LOWEST) // SLICES
    if width < 50:  # the ephemeral range was widened down to (almost) LOWEST
        return range(0)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) % SLICES if worker[2:].isdigit() else SLICES - 1
    start = LOWEST + index * width
    return range(start, start + width)


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing is bound to right now, outside the range
    outgoing connections take ports from, not handed out before by this process."""
    candidates = _slice()
    for _ in range(TRIES if candidates else 0):
        port = random.choice(candidates)  # noqa: S311 - spreads ports; no secret
        if port not in _given and _bindable(port):
            _given.add(port)
            return port
    with socket.socket() as probe:  # no slice, or all taken: the kernel's pick
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
