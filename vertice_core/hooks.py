"""pluggy hook specifications: vertice's 1:N extension points.

Plugins are found through entry-point group `vertice.plugins` (each entry
point's object is a module or class with `@hookimpl` functions). Hook names
start with `vertice_`. Build the plugin manager with `make_plugin_manager()`
in `main` or `create_app` and pass it on; there is no global one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pluggy

from vertice_core.model.assembly import AssemblySpec
from vertice_core.model.status import Event

PROJECT = "vertice"
PLUGIN_NAMESPACE = "vertice.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class AdmissionRequest:
    """What an admission hook sees: who declares what, in which project."""

    __slots__ = ("assembly_id", "name", "previous", "project", "spec", "user")

    def __init__(
        self,
        *,
        user: str,
        project: str,
        name: str,
        spec: AssemblySpec,
        assembly_id: str | None = None,
        previous: AssemblySpec | None = None,
    ) -> None:
        self.user = user
        self.project = project
        self.name = name
        self.spec = spec
        self.assembly_id = assembly_id
        self.previous = previous


class HookSpecs:
    """The hook specifications (docstring-only functions)."""

    @hookspec
    def vertice_event_recorded(self, event: Event, project_id: str | None) -> None:
        """An event was stored (phase or condition change, ghost removed, failure).

        Called after the transaction that stored it committed. Implementations
        must return quickly (queue the work): the reconciler calls this inline.
        """

    @hookspec
    def vertice_admit_assembly(self, request: AdmissionRequest) -> str | None:
        """A new or changed assembly asks to be admitted.

        Return a reason string to refuse it (the API answers 403 with the reason),
        or None to admit it. Every implementation is asked; any refusal wins.
        """

    @hookspec
    def vertice_reconciler_started(self, holder: str) -> None:
        """A reconciler process started its loop (`holder` is its lease identity)."""

    @hookspec
    def vertice_reconciler_stopped(self, holder: str) -> None:
        """A reconciler process is stopping cleanly."""


def make_plugin_manager(
    extra: Iterable[Any] = (), *, load_entry_points: bool = True
) -> pluggy.PluginManager:
    """A plugin manager with vertice's specs, the installed plugins and `extra` ones."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HookSpecs)
    if load_entry_points:
        manager.load_setuptools_entrypoints(PLUGIN_NAMESPACE)
    for plugin in extra:
        manager.register(plugin)
    return manager


def refusal(manager: pluggy.PluginManager, request: AdmissionRequest) -> str | None:
    """The first reason any plugin gives to refuse `request`, or None if all admit it."""
    reasons = [r for r in manager.hook.vertice_admit_assembly(request=request) if r]
    return reasons[0] if reasons else None
