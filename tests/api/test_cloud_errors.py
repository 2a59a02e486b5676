"""A project member (not an admin) reading an assembly whose cloud failed sees why, in the
error's reason and a summary, never the region's endpoint, an address or the cloud's
response body (issue 17)."""

from __future__ import annotations

import json

import pytest

from vertice_core.errors import AuthFailed, QuotaExceeded, TransientError


@pytest.mark.parametrize(
    ("verb", "error_class"),
    [("create", TransientError), ("create", QuotaExceeded), ("observe", AuthFailed)],
)
def test_a_member_reads_the_reason_not_the_cloud_s_text(
    alice, uri, failing_cloud, make_reconciler, verb, error_class
):
    failure = failing_cloud(verb, error_class)
    make_reconciler().run_pass()

    assembly = alice.get(uri)
    events = alice.get(f"{uri}/events")
    listing = alice.get("/v3/assembly_factory")
    assert [r.status_code for r in (assembly, events, listing)] == [200, 200, 200]
    seen = json.dumps([assembly.json, events.json, listing.json])
    assert failure.leaks(seen) == []
    assert alice.condition(uri, "Synced")["reason"] == error_class.reason
    assert any("502 Bad Gateway" in e["message"] for e in events.json["items"])
