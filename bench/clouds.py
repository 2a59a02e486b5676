"""An aws region on moto and a docker region on the Docker Engine, beside the sim region.

What `converge` uses to measure the reconciler's memory as an operator runs it: with
the SDK drivers loaded (boto3 and botocore, the Docker SDK), each with a live region
and one RUNNING assembly, not with the simulated cloud alone. The peers are the ones
the `ec2` and `containers` scenarios drive: moto's server in this process, and the
docker plugin's test engine (`/tmp/vtdocker-<uid>`, started when none answers).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.installation import Installation
from bench.scenarios.containers import IMAGE, PEER, PLAN, docker_region, remove_labelled
from bench.scenarios.ec2 import CountingMoto, aws_region, ubuntu_ami
from vertice_core import builtins
from vertice_core.driver import TAG_INSTALLATION


@contextmanager
def sdk_regions(inst: Installation) -> Iterator[int]:
    """Declare (through the API, as an operator would) an aws region on a moto server
    and a docker region on the test engine, and one assembly in each; yield how many
    assemblies that is. On leaving, after the installation's processes stopped, the
    containers it left on the shared engine are removed and moto is stopped."""
    if str(PEER) not in sys.path:
        sys.path.append(str(PEER))
    import docker
    from docker_engine_peer.busybox import import_busybox
    from docker_engine_peer.engine import shared_engine

    installation = builtins.installation_id(inst.store)
    moto = CountingMoto()
    folder = Path(f"/tmp/vtdocker-{os.getuid()}")  # the docker tests' engine
    try:
        with shared_engine(folder, shutil.which("dockerd")) as engine:
            client = docker.DockerClient(base_url=engine.base_url, version="auto")
            try:
                import_busybox(client, IMAGE)
                _declare(inst, moto, engine.base_url)
                yield 2
            finally:
                inst.close()
                remove_labelled(client, f"{TAG_INSTALLATION}={installation}")
                client.close()
    finally:
        moto.close()


def _declare(inst: Installation, moto: CountingMoto, docker_url: str) -> None:
    regions = [aws_region(moto, ubuntu_ami(moto)), docker_region(docker_url)]
    declarations = [
        {"name": "sdk-ec2", "plan_uri": "/v3/plan/1_virtualmachine_ubuntu", "region": "ec2",
         "flavor": "small"},
        {"name": "sdk-dock", "plan_uri": f"/v3/plan/{PLAN['name']}", "region": "dock",
         "flavor": "small"},
    ]  # fmt: skip
    with (
        inst.api(workers=1) as url,
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {inst.token}"}, timeout=60
        ) as api,
    ):
        for region in regions:
            api.post("/v3/regions", json=region).raise_for_status()
        api.post("/v3/plan_factory", json=PLAN).raise_for_status()
        for body in declarations:
            api.post("/v3/assembly_factory", json=body).raise_for_status()
