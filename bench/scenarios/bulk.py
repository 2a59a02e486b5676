"""`bulk`: `vertice apply -f` of N assembly declarations in one YAML file (issue 18).

The server is `vertice serve --api-only` with two workers, on SQLite and on
PostgreSQL. The figure is timed from the start of the `vertice apply -f FILE`
process until it exits with every declaration stored (counted in the database):
reading and parsing the file, the batch requests (`POST /v3/assembly_factory/batch`,
500 declarations each, two in flight) and printing one line per document. The peer,
in the same run: the same kind of declarations sent one POST each, one after the
other, by the project's client (what `apply -f` did before batches), over a tenth as
many; both rates are printed with their ratio.
"""

from __future__ import annotations

import os
import subprocess
import time

import yaml

from bench.installation import Installation
from bench.report import Figure
from bench.sizes import Size
from vertice_api.client import Client
from vertice_testing.server import vertice_command

PLAN = "/v3/plan/1_virtualmachine_ubuntu"


def run(size: Size) -> list[Figure]:
    """`apply -f` of `size.declare` declarations, on SQLite then PostgreSQL."""
    return _run(size, "sqlite") + _run(size, "postgresql")


def _document(prefix: str, i: int) -> dict[str, object]:
    return {"name": f"{prefix}{i:06d}", "plan_uri": PLAN, "region": "local", "flavor": "small",
            "tags": ["bulk"]}  # fmt: skip


def _run(size: Size, engine: str) -> list[Figure]:
    inst = Installation(engine)
    count = size.declare
    try:
        path = inst.home / "bulk.yaml"
        path.write_text("---\n".join(yaml.safe_dump(_document("b", i)) for i in range(count)))
        with inst.api() as url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("VERTICE_")}
            env.update(VERTICE_URL=url, VERTICE_TOKEN=inst.token,
                       XDG_CONFIG_HOME=str(inst.home / "config"))  # fmt: skip
            started = time.monotonic()
            done = subprocess.run(
                [str(vertice_command()), "apply", "-f", str(path)], env=env,
                capture_output=True, text=True, timeout=1800, check=False,
            )  # fmt: skip
            elapsed = time.monotonic() - started
            if done.returncode != 0 or inst.stored() != count:
                raise RuntimeError(
                    f"apply -f exited {done.returncode} with {inst.stored()} of {count} stored: "
                    f"{done.stderr[-2000:]}"
                )
            progress = sum(1 for ln in done.stderr.splitlines() if ln.startswith("applying"))
            peer_count = max(count // 10, 20)
            with Client(url, inst.token) as client:
                peer_started = time.monotonic()
                for i in range(peer_count):
                    client.declare(_document("p", i))
                peer_elapsed = time.monotonic() - peer_started
        rate = count / elapsed
        peer_rate = peer_count / peer_elapsed
        return [
            Figure(f"bulk.{engine}.apply_rate", rate, "assemblies/s", 1000.0, op=">=",
                   note=f"`vertice apply -f` of {count} declarations in one file: process start "
                        f"to exit, all stored; {progress} progress lines"),
            Figure(f"bulk.{engine}.one_by_one_rate", peer_rate, "assemblies/s",
                   note=f"the peer: {peer_count} POSTs one after the other (the client)"),
            Figure(f"bulk.{engine}.ratio", rate / peer_rate, "x",
                   note="apply -f in batches / one POST at a time, same run"),
        ]  # fmt: skip
    finally:
        inst.close()
