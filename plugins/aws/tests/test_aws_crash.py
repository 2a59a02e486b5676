"""Crash safety on moto: a reconciler process killed between `create` and recording its outcome.

The fault proxy lets `RunInstances` reach moto (the instances exist) but holds
the replies back, so the reconciler is stuck exactly between the call and the
write of its outcome when it is killed with SIGKILL. moto ignores
`ClientToken`, so only the write-ahead marker, the observation by key and the
driver's lookup by tag stand between a restart and a second instance.
"""

from __future__ import annotations

import signal

import pytest

from vertice_testing.processes import reconciler_env, start_reconciler
from vertice_testing.waiting import until

pytestmark = pytest.mark.slow

COUNT = 3


def test_a_reconciler_killed_between_create_and_its_record_leaves_one_instance_per_key(
    ctx, alice, aws_region, fault_proxy, moto_instances, phases, tmp_path
):
    aws_region(endpoint=fault_proxy.url, read_timeout=120.0)
    fault_proxy.fail("RunInstances", delay=120.0)  # moto creates; the reply is held back
    uris = [alice.declare(f"web{i}", region="aws-test").headers["location"] for i in range(COUNT)]
    ids = [uri.rsplit("/", 1)[1] for uri in uris]
    env = reconciler_env(ctx)

    with (tmp_path / "reconciler.log").open("wb") as log:
        first = start_reconciler(env, "crashy", log)
        try:
            until(lambda: len(moto_instances()) == COUNT, "the instances appear in moto", 60)
            # The reconciler is waiting for RunInstances' replies: nothing is recorded yet.
            for uri in uris:
                status = alice.get(uri).json["status"]
                assert status["instances"] == [] and status["phase"] != "RUNNING", status
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert first.returncode == -signal.SIGKILL
        fault_proxy.clear()

        second = start_reconciler(env, "crashy", log)
        try:
            until(lambda: phases() == {"RUNNING": COUNT}, "all assemblies run", 60)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)

    assert fault_proxy.count("RunInstances") == COUNT, "the restarted reconciler created again"
    for assembly_id, uri in zip(ids, uris, strict=True):
        items = moto_instances({"vertice-assembly": assembly_id})
        assert len(items) == 1, f"{assembly_id} has {len(items)} instances"
        (shown,) = alice.get(uri).json["status"]["instances"]
        assert shown["cloud_id"] == items[0]["InstanceId"]
        assert items[0]["State"]["Name"] == "running"
