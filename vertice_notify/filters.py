"""Which events a notifier sends: by project, event type (reason) and severity."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from vertice_core.model.status import Event


def _words(text: str | None) -> frozenset[str]:
    return frozenset(w.strip() for w in (text or "").split(",") if w.strip())


@attrs.frozen
class EventFilter:
    """Empty sets let everything through; otherwise an event must match each given set."""

    projects: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()
    severities: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, env: Mapping[str, str], prefix: str) -> EventFilter:
        """`<PREFIX>_PROJECTS`, `_EVENTS` and `_SEVERITIES`: comma-separated lists."""
        return cls(
            projects=_words(env.get(f"{prefix}_PROJECTS")),
            reasons=_words(env.get(f"{prefix}_EVENTS")),
            severities=_words(env.get(f"{prefix}_SEVERITIES")),
        )

    def accepts(self, event: Event) -> bool:
        """Whether `event` passes the filter."""
        return (
            (not self.projects or (event.project or "") in self.projects)
            and (not self.reasons or event.reason in self.reasons)
            and (not self.severities or event.type.value in self.severities)
        )
