"""A cloud error reaches users classified and summarised (issue 17): what the reconciler stores
of it (status, conditions, events) names no endpoint, no address and no response body, but
keeps its reason; its full text is logged once, for the operators."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from vertice_core.errors import TerminalError, TransientError
from vertice_core.store.tables import AssemblyRow, EventRow


def stored(store, assembly_id):
    """The assembly's row and its events, as the API reads them."""
    with store.read() as session:
        row = session.get(AssemblyRow, assembly_id)
        events = session.scalars(select(EventRow).where(EventRow.assembly_id == assembly_id))
        return row, [(e.type, e.reason, e.message) for e in events]


@pytest.mark.parametrize(
    ("verb", "error_class"),
    [("create", TransientError), ("create", TerminalError), ("observe", TransientError)],
)
def test_what_a_pass_stores_of_a_cloud_error_hides_its_endpoint_address_and_body(
    alice, ctx, failing_cloud, make_reconciler, caplog, verb, error_class
):
    assembly_id = alice.declare("web-1").headers["location"].rsplit("/", 1)[1]
    failure = failing_cloud(verb, error_class)
    with caplog.at_level(logging.WARNING, logger="vertice"):
        make_reconciler().run_pass()

    row, events = stored(ctx.store, assembly_id)
    assert events, "the failure was not recorded"
    assert failure.leaks(json.dumps([row.reason, row.message, row.status, events])) == []
    synced = next(c for c in row.status["conditions"] if c["type"] == "Synced")
    assert (synced["status"], synced["reason"]) == ("False", error_class.reason)
    assert "502 Bad Gateway" in synced["message"] and "<endpoint>" in synced["message"]

    logged = [r for r in caplog.records if failure.message in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING
    if verb == "create":  # an assembly's call: the log says which assembly
        assert "web-1" in logged[0].getMessage() and assembly_id in logged[0].getMessage()
