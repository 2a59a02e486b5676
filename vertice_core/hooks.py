"""pluggy hook specifications: vertice's 1:N extension points.

Plugins are found through entry-point group `vertice.plugins` (each entry
point's object is a module or object with `@hookimpl` functions, or a factory
`make(config)` returning one, or None to stay off). Hook names
start with `vertice_`. Build the plugin manager with `make_plugin_manager()`
in `main` or `create_app` and pass it on; there is no global one.
"""

from __future__ import annotations

import importlib.metadata
import logging
import types
from collections.abc import Iterable, Sequence
from typing import Any

import pluggy

from vertice_core.config import Config
from vertice_core.model.assembly import AssemblySpec
from vertice_core.model.status import Event

PROJECT = "vertice"
PLUGIN_NAMESPACE = "vertice.plugins"

log = logging.getLogger("vertice.plugins")

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class AdmissionRequest:
    """What an admission hook sees: who declares what, in which project."""

    __slots__ = ("assembly_id", "ledger", "name", "previous", "project", "spec", "user")

    def __init__(
        self,
        *,
        user: str,
        project: str,
        name: str,
        spec: AssemblySpec,
        assembly_id: str | None = None,
        previous: AssemblySpec | None = None,
        ledger: Any = None,
    ) -> None:
        self.user = user
        self.project = project
        self.name = name
        self.spec = spec
        self.assembly_id = assembly_id
        self.previous = previous
        #: The project's quotas and what it declares, read in the write's transaction
        #: (`vertice_core.service.quotas.QuotaLedger`; None where nothing is counted).
        #: The quota check runs first; a plugin may read it too.
        self.ledger = ledger


class HookSpecs:
    """The hook specifications (docstring-only functions)."""

    @hookspec
    def vertice_event_recorded(self, event: Event, project_id: str | None) -> None:
        """An event was stored (phase or condition change, ghost removed, failure).

        Called after the transaction that stored it committed. Implementations
        must return quickly (queue the work): the reconciler calls this inline, and
        so does the API for the events of a request (`announce`: an orphan delete).
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
    extra: Iterable[Any] = (),
    *,
    load_entry_points: bool = True,
    config: Config | None = None,
) -> pluggy.PluginManager:
    """A plugin manager with vertice's specs, the installed plugins and `extra` ones.

    An entry point of group `vertice.plugins` names either a plugin (a module
    or an object with `@hookimpl` methods) or a factory `make(config)` that
    returns one, or None when its configuration leaves it off. A plugin that
    fails to load is logged and left out; it never stops the others.
    """
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HookSpecs)
    if load_entry_points:
        for entry in importlib.metadata.entry_points(group=PLUGIN_NAMESPACE):
            plugin = _load_plugin(entry, config)
            if plugin is not None and manager.get_plugin(entry.name) is None:
                manager.register(plugin, name=entry.name)
    for plugin in extra:
        manager.register(plugin)
    return manager


def _load_plugin(entry: importlib.metadata.EntryPoint, config: Config | None) -> Any:
    try:
        loaded = entry.load()
        if isinstance(loaded, types.ModuleType) or not callable(loaded):
            return loaded
        return loaded(config) if config is not None else None
    except Exception:  # a broken plugin is reported, never fatal to the rest
        log.exception("the plugin %r (%s) failed to load", entry.name, entry.value)
        return None


def refusal(manager: pluggy.PluginManager, request: AdmissionRequest) -> str | None:
    """The first reason any plugin gives to refuse `request`, or None if all admit it."""
    reasons = [r for r in manager.hook.vertice_admit_assembly(request=request) if r]
    return reasons[0] if reasons else None


def announce(manager: pluggy.PluginManager, recorded: Sequence[tuple[Event, str | None]]) -> None:
    """Hand events, each with its project's id, to the plugins' event hook: call it once
    the transaction that stored them committed (a rolled-back one must announce nothing).

    The events are stored and the request that recorded them succeeded, so a plugin that
    raises is logged and the remaining events are announced all the same.
    """
    hook = manager.hook.vertice_event_recorded
    for event, project_id in recorded:
        try:
            hook(event=event, project_id=project_id)
        except Exception:  # a plugin's failure is its own, never the request's
            log.exception("a plugin failed on the event %s of %s", event.reason, event.assembly_id)
