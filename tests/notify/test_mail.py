"""The email notifier: a real SMTP server (aiosmtpd) on 127.0.0.1 receives the mails."""

from __future__ import annotations

import email
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from vertice_core.billing.policy import PolicySettings
from vertice_drivers.ports import free_port
from vertice_notify.filters import EventFilter
from vertice_notify.mail import MailNotifier, SmtpSettings, plugin


class Inbox:
    """An aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_mails_use_a_template_per_event_type(
    ctx, alice, smtp, make_reconciler, converge, phases, tmp_path
):
    inbox, port = smtp
    (tmp_path / "Running.txt").write_text("Subject: up: $assembly_id\n\n$message in $region\n")
    settings = SmtpSettings(
        host="127.0.0.1", port=port, sender="vertice@test", to=("ops@test",), templates=tmp_path
    )
    notifier = MailNotifier(settings, EventFilter(reasons=frozenset({"Running", "Failed"})))
    ctx.plugins.register(notifier)
    uri = alice.declare("web-1").headers["location"]
    converge(make_reconciler(), lambda: phases() == {"RUNNING": 1})
    assert notifier.outbox.join()
    (mail,) = inbox.messages
    assert mail["Subject"] == f"up: {uri.rsplit('/', 1)[1]}"
    assert mail["To"] == "ops@test"
    assert "in local" in mail.get_payload()


def test_a_failure_gets_the_shipped_failure_template(
    ctx, alice, smtp, make_reconciler, converge, phases, configure_sim
):
    inbox, port = smtp
    configure_sim(images=["nothing-you-have"])
    notifier = MailNotifier(
        SmtpSettings(host="127.0.0.1", port=port, to=("ops@test",)),
        EventFilter(severities=frozenset({"Warning"}), reasons=frozenset({"Failed"})),
    )
    ctx.plugins.register(notifier)
    alice.declare("web-1")
    converge(make_reconciler(), lambda: phases() == {"FAILED": 1})
    assert notifier.outbox.join()
    (mail,) = inbox.messages
    subject = " ".join(mail["Subject"].split())  # long: folded
    assert subject.startswith("[vertice] FAILED: web-1 in "), subject  # by name (issue 13)
    assert "ImageNotFound" in mail.get_payload() or "nothing-you-have" in mail.get_payload()


def test_an_orphaned_assembly_gets_the_shipped_orphaned_template(admin, alice, ctx, smtp):
    """A region retired with `cascade=orphan` mails each orphaned assembly, whose row is
    gone: the mail says so and points at its events, which stay readable."""
    inbox, port = smtp
    notifier = MailNotifier(
        SmtpSettings(host="127.0.0.1", port=port, to=("ops@test",)),
        EventFilter(reasons=frozenset({"Orphaned"})),
    )
    ctx.plugins.register(notifier)
    admin.post("/v3/regions", {"name": "retired", "cloud_type": "sim"})
    declared = alice.declare("legacy", region="retired")
    retired = admin.delete("/v3/regions/retired", params={"cascade": "orphan"})
    assert retired.status_code == 200
    assert notifier.outbox.join()
    (mail,) = inbox.messages
    project = declared.json["project"]
    assert mail["Subject"] == f"[vertice] assembly orphaned in {project} (retired)"
    body = mail.get_payload(decode=True).decode()  # quoted-printable: long lines
    assert f"{declared.headers['location']}/events" in body
    assert "assembly: legacy (" in body
    assert "was deleted with orphan=true; it had no instance" in body
    assert alice.get(f"{declared.headers['location']}/events").status_code == 200


def test_configuration(ctx, monkeypatch):
    assert plugin(ctx.config) is None
    monkeypatch.setenv("VERTICE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VERTICE_SMTP_TO", "a@x, b@x")
    monkeypatch.setenv("VERTICE_SMTP_PASSWORD", "not-in-repr")
    notifier = plugin(ctx.config)
    assert notifier is not None
    assert notifier.settings.to == ("a@x", "b@x")
    assert "not-in-repr" not in repr(notifier.settings)


def test_a_project_out_of_balance_gets_the_shipped_balance_template(alice, ctx, smtp,
                                                                    make_reconciler):  # fmt: skip
    """The balance policy's events are a project's, not an assembly's: the mail names the
    project and says what happens next."""
    inbox, port = smtp
    notifier = MailNotifier(
        SmtpSettings(host="127.0.0.1", port=port, to=("ops@test",)),
        EventFilter(reasons=frozenset({"BalanceExhausted"})),
    )
    ctx.plugins.register(notifier)
    project = alice.get("/v3/projects").json["items"][0]["name"]
    meter = make_reconciler(billing=PolicySettings(enforce=True, stop_after=3600)).meter
    assert meter.apply_policy(time.time()) >= 1
    assert notifier.outbox.join()
    (mail,) = [m for m in inbox.messages if project in m["Subject"]]
    assert mail["Subject"] == f"[vertice] the balance of {project} is exhausted"
    body = mail.get_payload(decode=True).decode()
    assert f"project: {project}" in body and "refused" in body
    assert "assembly:" not in body
