"""Probes: how vertice checks that an assembly's instances serve.

An assembly may declare one probe. The prober (`vertice_core.probing`) runs it
against every running instance every `interval` seconds: an HTTP GET of `path`
on `port` that must answer 2xx or 3xx within `timeout`, or, without a `path`,
a TCP connection to `port` that must open within `timeout`. An instance is
*ready* once its last probe passed: until then, and from its first failure on,
routes send it no requests. After `failure_threshold` failures in a row the
reconciler replaces it (a new instance under a new key), with an event.
"""

from __future__ import annotations

import attrs

from vertice_core.model.types import Port, request_path, seconds_between

__all__ = ["Probe"]


def _threshold(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 1 <= value <= 100:
        raise ValueError(f"{attribute.name}: must be from 1 to 100")


def _path(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value:
        request_path(instance, attribute, value)


@attrs.frozen
class Probe:
    """An assembly's probe (see the module's docstring)."""

    #: The port of the instances to probe (the plan's published port, or a private one).
    port: Port
    #: The path of an HTTP probe; "" probes by opening a TCP connection.
    path: str = attrs.field(default="", validator=_path)
    interval: float = attrs.field(default=10.0, validator=seconds_between(0.1, 3600))
    timeout: float = attrs.field(default=2.0, validator=seconds_between(0.1, 60))
    failure_threshold: int = attrs.field(default=3, validator=_threshold)
