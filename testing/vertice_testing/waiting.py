"""Waiting with a deadline: the tests' one way to poll until something holds.

A test that waits for a real component (a container running, a server
answering, Prometheus scraping) polls with a deadline instead of sleeping a
fixed time, and fails with what it waited for, never with a timing assert.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

__all__ = ["until", "until_answers"]

T = TypeVar("T")


def until(check: Callable[[], T], what: str, timeout: float = 60.0, step: float = 0.2) -> T:
    """`check()`'s first truthy result, polled every `step` seconds for at most `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(step)
    raise AssertionError(f"{what}: not so after {timeout}s")


def until_answers(
    url: str, process: subprocess.Popen[Any], log: Path, what: str, timeout: float = 60.0
) -> None:
    """Wait until `url` answers 200 while `process` (logging to `log`) runs; a process that
    exits or does not answer in time fails the test with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited early:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not answer {url} within {timeout}s:\n{log.read_text()}")
