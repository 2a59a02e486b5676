"""Replicas on the real Docker Engine behind a real Caddy, with the reconciler running.

The assembly's containers run busybox `httpd`; a route sends `web.vertice.test`
to their port 8080 through Caddy (Debian's package, on reserved 127.0.0.1
ports). The reconciler runs as it does in production (`run_forever`: both
controllers, each on its runtime) in a thread. While the assembly (with a
readiness probe, `READY_PROBE`) is scaled down and every instance replaced,
and while a container is killed behind vertice's back, two loads send requests
through Caddy:

* `wrk` (Debian's package): no answer may be an error (a 502 from an instance
  deleted while it served, a 503 from a route left without upstreams). Its
  socket errors are printed, not asserted: Caddy 2.6 closes connections each
  time it loads a configuration (every admin API change, see docs/routes.md),
  and wrk does not send a request again on a connection closed before its answer.
* `vertice_testing.load.Load`, which does, as browsers do: no request may fail.
"""

from __future__ import annotations

import time

import pytest

from docker_engine_peer.routed import (
    READY_PROBE,
    Loads,
    assert_at_most_in_flight_failed,
    assert_nothing_failed,
    serving,
    whoami,
)
from vertice_core.driver import TAG_ASSEMBLY
from vertice_testing.waiting import until as wait_for

#: One xdist worker runs the docker tests that load the machine (builds, image making) and
#: those that measure failed requests under load, one after the other (`--dist loadgroup`).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("docker-load")]


def test_requests_through_caddy_reach_every_replica(alice, caddy, running, engine_client):
    uris = running(3)
    uri = uris[0]
    wait_for(serving(alice, uris, 3), "three replicas behind the route")
    answered = {whoami(caddy) for _ in range(12)}
    containers = {engine_client.containers.get(i["cloud_id"]).attrs["Config"]["Hostname"]
                  for i in alice.get(uri).json["status"]["instances"]}  # fmt: skip
    assert answered == containers


def test_a_route_balances_across_a_spread_over_a_docker_region_and_a_sim_region(
    alice, caddy, running, engine_client
):
    uri, route_uri = running(
        4, region=None, placement={"policy": "spread", "regions": ["dock", "local"]}
    )

    def spread() -> bool:
        instances = alice.get(uri).json["status"]["instances"]
        placed = sorted(i["region"] for i in instances if i["state"] == "running")
        return placed == ["dock", "dock", "local", "local"]

    wait_for(spread, "two instances in each region")
    instances = alice.get(uri).json["status"]["instances"]
    docker = [i for i in instances if i["region"] == "dock"]
    assert [i["ordinal"] for i in docker] == [0, 2]
    # The route's upstreams are the published addresses of every instance, in both clouds.
    # (No request is sent through: the simulated instances have documentation-range
    # addresses, and what answers there depends on the machine's network.)
    every = sorted(i["access"][0] for i in instances)
    assert len(set(every)) == 4
    wait_for(lambda: alice.get(route_uri).json["status"]["upstreams"] == every,
             "the route balancing across both regions")  # fmt: skip
    # The Docker region's share runs on the engine, and nothing more.
    label = f"{TAG_ASSEMBLY}={uri.rsplit('/', 1)[1]}"
    labelled = engine_client.containers.list(filters={"label": label})
    assert sorted(c.id for c in labelled) == sorted(i["cloud_id"] for i in docker)


def test_scaling_down_and_replacing_every_instance_under_load_fail_no_request(
    alice, caddy, running
):
    uris = running(5, probe=READY_PROBE)
    uri = uris[0]
    wait_for(serving(alice, uris, 5), "five replicas behind the route")
    before = {i["key"] for i in alice.get(uri).json["status"]["instances"]}
    started = time.monotonic()
    loads = Loads.start(caddy)

    alice.replace(uri, "/replicas", 2)
    wait_for(serving(alice, uris, 2), "scaled down to two")
    alice.replace(uri, "/replace_count", 1)
    wait_for(
        lambda: (
            serving(alice, uris, 2)()
            and not before & {i["key"] for i in alice.get(uri).json["status"]["instances"]}
        ),
        "every instance replaced",
    )
    time.sleep(max(0.0, 10 - (time.monotonic() - started)))  # at least 10 s of load
    assert_nothing_failed(*loads.stop())


def test_a_container_killed_behind_our_back_leaves_the_pool_and_runs_again(
    alice, caddy, running, engine_client
):
    uris = running(2)
    uri = uris[0]
    wait_for(serving(alice, uris, 2), "two replicas behind the route")
    victim = alice.get(uri).json["status"]["instances"][0]
    loads = Loads.start(caddy)
    time.sleep(1)
    engine_client.containers.get(victim["cloud_id"]).kill()

    def back() -> bool:
        instances = alice.get(uri).json["status"]["instances"]
        return serving(alice, uris, 2)() and all(i["state"] == "running" for i in instances)

    wait_for(back, "the killed container's ordinal runs again")
    time.sleep(1)
    assert_at_most_in_flight_failed(*loads.stop())
