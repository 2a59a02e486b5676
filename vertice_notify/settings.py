"""The notifiers' settings, checked before a server command starts.

A wrong `VERTICE_WEBHOOK_TIMEOUT` or `VERTICE_SMTP_PORT` was found only when the
plugin loaded, in each API worker and reconciler, as a logged traceback (and the
notifier left out). `vertice serve`, `vertice reconcile` and the other server
commands read them first, with the rest of the settings, and refuse to start with
one line naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping

from vertice_notify import mail, webhook


def check(env: Mapping[str, str]) -> None:
    """Read every notifier's settings from `env`, whether or not the notifier is on:
    ValueError naming the variable of the first wrong one."""
    webhook.timeout(env)
    mail.smtp_settings(env)
