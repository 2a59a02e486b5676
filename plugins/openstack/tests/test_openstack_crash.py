"""Crash safety: a reconciler process killed between `create` and recording its outcome.

The peer takes `POST /servers` (the servers exist, and build) but holds its replies
back, so the reconciler is stuck exactly between the call and the write of its
outcome when it is killed with SIGKILL. Nova has no idempotency token: only the
write-ahead marker, the observation by key and the driver's lookup of the key's
server by name and metadata stand between a restart and a second server.
"""

from __future__ import annotations

import signal

import pytest

from vertice_testing.processes import reconciler_env, start_reconciler
from vertice_testing.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

COUNT = 3


def test_a_reconciler_killed_between_create_and_its_record_leaves_one_server_per_key(
    ctx, alice, openstack_region, peer, cloud, phases, tmp_path
):
    openstack_region(timeout=120.0)
    peer.fail("servers.create", delay=120.0)  # Nova creates; the reply is held back
    uris = [alice.declare(f"web{i}", region="os-test").headers["location"] for i in range(COUNT)]
    ids = [uri.rsplit("/", 1)[1] for uri in uris]
    env = reconciler_env(ctx)

    with (tmp_path / "reconciler.log").open("wb") as log:
        first = start_reconciler(env, "crashy", log)
        try:
            until(lambda: len(cloud.live()) == COUNT, "the servers appear in Nova", 60)
            # The reconciler is waiting for the creates' replies: nothing is recorded yet.
            for uri in uris:
                status = alice.get(uri).json["status"]
                assert status["instances"] == [] and status["phase"] != "RUNNING", status
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert first.returncode == -signal.SIGKILL
        peer.clear()

        second = start_reconciler(env, "crashy", log)
        try:
            until(lambda: phases() == {"RUNNING": COUNT}, "all assemblies run", 60)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)

    assert peer.count("servers.create", None) == COUNT, "the restarted reconciler created again"
    for assembly_id, uri in zip(ids, uris, strict=True):
        servers = peer.with_metadata(vertice_assembly=assembly_id)
        assert len(servers) == 1, f"{assembly_id} has {len(servers)} servers"
        (shown,) = alice.get(uri).json["status"]["instances"]
        assert shown["cloud_id"] == servers[0].id
        assert servers[0].status == "ACTIVE"
