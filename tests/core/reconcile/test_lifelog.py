"""The reconciler logs each launch, delete and removal once, at INFO, naming the assembly."""

from __future__ import annotations

import logging

from vertice_core.store.repositories.work import WorkRepository
from vertice_drivers.sim import cloud_at


def phase_of(api, uri):
    return api.get(uri).json["status"]["phase"]


def lines(caplog, word):
    return [
        r
        for r in caplog.records
        if r.name == "vertice.reconcile" and r.levelno == logging.INFO and word in r.getMessage()
    ]


def test_a_launch_and_a_delete_each_log_one_info_line_with_the_assemblys_name_and_id(
    alice, make_reconciler, converge, caplog
):
    caplog.set_level(logging.INFO, logger="vertice.reconcile")
    uri = alice.declare("web-1").headers["location"]
    assembly_id = alice.get(uri).json["id"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phase_of(alice, uri) == "RUNNING")
    assert alice.delete(uri).status_code == 202
    converge(reconciler, lambda: alice.get(uri).status_code == 404)
    for word in ("launched", "deleted", "removed"):
        (line,) = lines(caplog, word)
        assert f"assembly web-1 ({assembly_id})" in line.getMessage()
        assert (line.assembly, line.assembly_id, line.region) == ("web-1", assembly_id, "local")


def test_a_ghost_removed_logs_one_info_line(ctx, alice, make_reconciler, converge, caplog):
    caplog.set_level(logging.INFO, logger="vertice.reconcile")
    uri = alice.declare("web-1").headers["location"]
    reconciler = make_reconciler()
    converge(reconciler, lambda: phase_of(alice, uri) == "RUNNING")
    # The assembly row goes behind the reconciler's back: its instance is now a ghost.
    with ctx.store.write() as session:
        WorkRepository(session).remove([alice.get(uri).json["id"]])
    sim = cloud_at(ctx.config.home / "sim.db")
    converge(
        reconciler,
        lambda: all(r["state"] == "terminated" for r in sim.all_rows("default")),
    )
    (line,) = lines(caplog, "ghost instance")
    assert line.region == "local"
