"""The email notifier: one mail per event over SMTP, from a template per event type.

Switched on by `VERTICE_SMTP_HOST` (and `VERTICE_SMTP_TO`, comma-separated).
Also: `VERTICE_SMTP_PORT` (25), `VERTICE_SMTP_FROM`, `VERTICE_SMTP_STARTTLS`
(`1` to upgrade), `VERTICE_SMTP_USER` / `VERTICE_SMTP_PASSWORD` (never
logged), filters `VERTICE_SMTP_PROJECTS`, `_EVENTS`, `_SEVERITIES`, and
`VERTICE_SMTP_TEMPLATES`, a folder whose `<Reason>.txt` (e.g. `Failed.txt`)
overrides the shipped templates. A template is a `string.Template`: its first
line `Subject: ...`, then the body; fields are those of the event document
(`$reason`, `$message`, `$assembly` (its name), `$assembly_id`, `$project`, `$region`, `$time`,
`$type`...).
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from email.message import EmailMessage
from importlib import resources
from pathlib import Path

import attrs

from vertice_core.config import Config, port
from vertice_core.hooks import hookimpl
from vertice_core.model.status import Event
from vertice_notify.filters import EventFilter
from vertice_notify.payload import event_document
from vertice_notify.queue import Outbox


@attrs.frozen
class SmtpSettings:
    """Where and as whom mails are sent."""

    host: str
    port: int = 25
    sender: str = "vertice@localhost"
    to: tuple[str, ...] = ()
    starttls: bool = False
    user: str = ""
    password: str = attrs.field(default="", repr=False)
    templates: Path | None = None


def template_for(reason: str, folder: Path | None) -> string.Template:
    """The template of an event reason: the folder's, the shipped one, or the default."""
    for name in (f"{reason}.txt", "default.txt"):
        if folder is not None and (folder / name).is_file():
            return string.Template((folder / name).read_text())
        shipped = resources.files("vertice_notify") / "templates" / name
        if shipped.is_file():
            return string.Template(shipped.read_text())
    raise FileNotFoundError("vertice_notify/templates/default.txt is missing")


class MailNotifier:
    """Mails events to fixed recipients."""

    def __init__(self, settings: SmtpSettings, events: EventFilter) -> None:
        self.settings = settings
        self.filter = events
        self.outbox = Outbox("email", self._send)

    def render(self, event: Event, project_id: str | None) -> EmailMessage:
        """The mail of one event."""
        fields = {
            k: "" if v is None else str(v) for k, v in event_document(event, project_id).items()
        }
        # An assembly removed in the pass that tells of it has no name left: its id.
        fields["assembly"] = fields["assembly"] or fields["assembly_id"]
        text = template_for(event.reason, self.settings.templates).safe_substitute(fields)
        first, _, body = text.partition("\n")
        message = EmailMessage()
        message["Subject"] = first.removeprefix("Subject:").strip()
        message["From"] = self.settings.sender
        message["To"] = ", ".join(self.settings.to)
        message.set_content(body.lstrip("\n"))
        return message

    def _send(self, message: EmailMessage) -> None:
        s = self.settings
        import smtplib  # only when a mail goes out

        with smtplib.SMTP(s.host, s.port, timeout=10) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.user:
                smtp.login(s.user, s.password)
            smtp.send_message(message)

    @hookimpl
    def vertice_event_recorded(self, event: Event, project_id: str | None) -> None:
        """Queue a mail for the event if the filter lets it through."""
        if self.filter.accepts(event):
            self.outbox.offer(self.render(event, project_id))


def plugin(config: Config) -> MailNotifier | None:
    """The entry point: a notifier when `VERTICE_SMTP_HOST` is set, else None."""
    env = os.environ
    settings = smtp_settings(env)
    if settings is None:
        return None
    return MailNotifier(settings, EventFilter.from_env(env, "VERTICE_SMTP"))


def smtp_settings(env: Mapping[str, str]) -> SmtpSettings | None:
    """The SMTP settings `env` gives, None when `VERTICE_SMTP_HOST` is unset; ValueError
    naming the variable of a wrong value (the port is checked even then)."""
    port_number = port(env, "VERTICE_SMTP_PORT", 25)
    host = env.get("VERTICE_SMTP_HOST")
    if not host:
        return None
    folder = env.get("VERTICE_SMTP_TEMPLATES")
    return SmtpSettings(
        host=host,
        port=port_number,
        sender=env.get("VERTICE_SMTP_FROM", "vertice@localhost"),
        to=tuple(a.strip() for a in env.get("VERTICE_SMTP_TO", "").split(",") if a.strip()),
        starttls=env.get("VERTICE_SMTP_STARTTLS", "") == "1",
        user=env.get("VERTICE_SMTP_USER", ""),
        password=env.get("VERTICE_SMTP_PASSWORD", ""),
        templates=Path(folder) if folder else None,
    )
