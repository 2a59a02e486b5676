"""The example cloud: instances kept in memory, as a stand-in for a cloud SDK client.

It behaves like the simplest cloud: a create with a client token already
used returns the same instance (idempotency), listings are paged, and API
keys are checked. Replace it with your cloud's SDK.
"""

from __future__ import annotations

import itertools
import threading

import attrs


class BackendError(Exception):
    """What the example cloud raises; `code` says why (as an SDK's error would)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@attrs.define
class Machine:
    """One instance of the example cloud."""

    id: str
    token: str
    labels: dict[str, str]
    state: str = "running"
    address: str = ""
    user_data: str = ""


class Cloud:
    """One account of the example cloud. Thread-safe."""

    def __init__(self, api_key: str = "") -> None:
        self.api_key = api_key
        self.machines: dict[str, Machine] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _check(self, api_key: str) -> None:
        if self.api_key and api_key != self.api_key:
            raise BackendError("Unauthorized", "the API key is not valid")

    def run(self, api_key: str, token: str, labels: dict[str, str], user_data: str = "") -> Machine:
        """Start a machine; the same `token` returns the machine it started before."""
        self._check(api_key)
        with self._lock:
            for machine in self.machines.values():
                if machine.token == token and machine.state != "terminated":
                    return machine
            number = next(self._ids)
            address = f"10.0.0.{number % 250 + 2}"
            machine = Machine(f"m-{number:06d}", token, dict(labels), "running", address, user_data)
            self.machines[machine.id] = machine
            return machine

    def list(self, api_key: str, label: str, value: str, page: int, size: int) -> list[Machine]:
        """One page of the machines carrying `label=value`."""
        self._check(api_key)
        with self._lock:
            found = [m for m in self.machines.values() if m.labels.get(label) == value]
        return found[page * size : (page + 1) * size]

    def act(self, api_key: str, machine_id: str, action: str) -> None:
        """`start`, `stop`, `reboot` or `terminate` a machine."""
        self._check(api_key)
        with self._lock:
            machine = self.machines.get(machine_id)
            if machine is None or machine.state == "terminated":
                raise BackendError("NotFound", f"no machine {machine_id}")
            machine.state = {"start": "running", "stop": "stopped", "reboot": "running",
                             "terminate": "terminated"}[action]  # fmt: skip


#: The accounts of the in-memory cloud, by name (a real driver has an SDK client instead).
ACCOUNTS: dict[str, Cloud] = {}
