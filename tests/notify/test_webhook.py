"""The webhook notifier: signed payloads, filters, retries, and never in the loop's way."""

from __future__ import annotations

import hashlib
import hmac
import time

from vertice_core.hooks import make_plugin_manager
from vertice_notify.filters import EventFilter
from vertice_notify.webhook import SIGNATURE_HEADER, WebhookNotifier, plugin

SECRET = "shh-it-is-a-secret"


def test_events_arrive_signed(ctx, alice, receiver, make_reconciler, converge, phases):
    state, url = receiver
    notifier = WebhookNotifier(url, SECRET, EventFilter())
    ctx.plugins.register(notifier)
    uri = alice.declare("web-1").headers["location"]
    converge(make_reconciler(), lambda: phases() == {"RUNNING": 1})
    assert notifier.outbox.join()
    events = state.events()
    assembly_id = uri.rsplit("/", 1)[1]
    running = [e for e in events if e["reason"] == "Running"]
    assert running
    assert running[0]["assembly_id"] == assembly_id
    assert running[0]["assembly"] == "web-1"  # by name too (issue 13)
    assert running[0]["project"]
    assert running[0]["assembly_uri"] == uri
    for headers, body in state.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers[SIGNATURE_HEADER] == expected


def test_filters_by_severity_event_and_project(
    ctx, alice, bob, receiver, make_reconciler, converge, phases
):
    state, url = receiver
    notifier = WebhookNotifier(url, "", EventFilter(reasons=frozenset({"Running"})))
    ctx.plugins.register(notifier)
    alice.declare("web-1")
    converge(make_reconciler(), lambda: phases() == {"RUNNING": 1})
    assert notifier.outbox.join()
    assert {e["reason"] for e in state.events()} == {"Running"}

    project = alice.get("/v3/projects").json["items"][0]["name"]
    only_alice = EventFilter(projects=frozenset({project}), severities=frozenset({"Normal"}))
    bob.declare("web-2")
    alice.declare("web-3")
    state.received.clear()
    ctx.plugins.unregister(notifier)
    second = WebhookNotifier(url, "", only_alice)
    ctx.plugins.register(second)
    converge(make_reconciler(), lambda: phases() == {"RUNNING": 3})
    assert second.outbox.join()
    events = state.events()
    assert events
    assert {e["project"] for e in events} == {project}
    assert {e["type"] for e in events} == {"Normal"}


def test_an_orphaned_assembly_is_posted_though_its_row_is_gone(ctx, alice, receiver):
    """The API hands the `Orphaned` event of `DELETE ?orphan=true` to the notifiers once
    the assembly is gone: the payload is made of the event alone."""
    state, url = receiver
    project = alice.get("/v3/projects").json["items"][0]["name"]
    notifier = WebhookNotifier(
        url, SECRET, EventFilter(projects=frozenset({project}), severities=frozenset({"Warning"}))
    )
    ctx.plugins.register(notifier)
    declared = alice.declare("legacy")
    assert alice.delete(declared.headers["location"], params={"orphan": "true"}).status_code == 200
    assert notifier.outbox.join()
    (posted,) = state.events()
    assert (posted["type"], posted["reason"], posted["project"]) == ("Warning", "Orphaned", project)
    assert posted["assembly_id"] == declared.json["id"]
    assert posted["assembly"] == "legacy"
    assert posted["project_id"] and posted["region"] == "local"
    assert "orphan=true" in posted["message"]


def test_failed_deliveries_are_retried(ctx, alice, receiver, make_reconciler, converge, phases):
    state, url = receiver
    state.fail_first = 2
    notifier = WebhookNotifier(url, "", EventFilter(reasons=frozenset({"Running"})))
    notifier.outbox.backoff = 0.05
    ctx.plugins.register(notifier)
    alice.declare("web-1")
    converge(make_reconciler(), lambda: phases() == {"RUNNING": 1})
    assert notifier.outbox.join()
    assert state.calls == 3
    assert [e["reason"] for e in state.events()] == ["Running"]


def test_a_slow_or_dead_receiver_does_not_slow_convergence(
    ctx, alice, receiver, make_reconciler, converge, phases
):
    state, url = receiver
    state.delay = 5.0
    slow = WebhookNotifier(url, "", EventFilter())
    dead = WebhookNotifier("http://127.0.0.1:9/nobody-listens", "", EventFilter())
    ctx.plugins.register(slow)
    ctx.plugins.register(dead)
    for i in range(10):
        alice.declare(f"web-{i}")
    started = time.monotonic()
    converge(make_reconciler(), lambda: phases() == {"RUNNING": 10})
    # Dozens of events went to a receiver answering in 5 s and to a closed port; had
    # one delivery been waited for inline, this would take minutes, not seconds.
    assert time.monotonic() - started < 20
    assert slow.outbox.delivered <= 2


def test_configuration_switches_it_on(ctx, monkeypatch):
    assert plugin(ctx.config) is None
    monkeypatch.setenv("VERTICE_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("VERTICE_WEBHOOK_SEVERITIES", "Warning")
    notifier = plugin(ctx.config)
    assert notifier is not None
    assert notifier.filter.severities == {"Warning"}
    manager = make_plugin_manager(config=ctx.config)
    assert isinstance(manager.get_plugin("webhook"), WebhookNotifier)
    assert manager.get_plugin("email") is None  # not configured: off
