"""`abuse`: what a hostile body costs the API, against what a valid one costs (issue 17).

`vertice serve --api-only` with **one** gunicorn worker on 127.0.0.1; each body is
POSTed to `/v3/assembly_factory` `repeats` times (3 at full and quick size), and the
worker's CPU seconds (every thread's, `/proc/PID/task/*/schedstat`) are read before
and after each request: timed from the first byte sent to the last byte of the answer received,
parsing, validation and the answer included, the client's work excluded. The peer
is a valid declaration of the same server in the same run (a 201 that stores a row).
The bodies, each under the 1 MiB body limit:

* `components`: 60,000 wrong components (840 KB; before the fix, 10 s of CPU and a
  23 MB answer), and `fields`: 75,000 unknown fields (960 KB; a 37 MB answer): both
  over `MAX_SEPARATORS`, refused (413) before they are parsed;
* `items`: 24,000 components, just under that limit: parsed, then refused (422) by
  the converter's item limit;
* `value`: a 900 KB name (a problem's message quotes the value; 422).

Figures: each body's median CPU (target 100 ms), its answer's size (target 64 KB),
its ratio to the valid declaration's CPU, and the worker's resident memory after
every attack against before them (target: within 10 %).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import httpx

from bench.installation import Installation, memory_mb
from bench.report import Figure
from bench.sizes import Size
from vertice_testing.server import children

DECLARATION = {"plan_uri": "/v3/plan/1_virtualmachine_ubuntu", "region": "local",
               "flavor": "small"}  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """CPU seconds every thread of `pid` ran, to the nanosecond (`/proc/.../schedstat`;
    `/proc/PID/stat` counts in 10 ms ticks, too coarse for one request)."""
    return (
        sum(
            int(stat.read_text().split()[0])
            for stat in Path(f"/proc/{pid}/task").glob("*/schedstat")
        )
        / 1e9
    )


def bodies() -> dict[str, tuple[bytes, int]]:
    """The hostile bodies by name, as JSON bytes, with the status each must get."""
    return {
        name: (json.dumps(document).encode(), status)
        for name, (document, status) in {
            # over the separators' limit: refused before it is parsed
            "components": ({**DECLARATION, "name": "a", "components": [{"tag": "x"}] * 60_000},
                           413),
            "fields": ({**DECLARATION, "name": "b", **{f"k{i}": 1 for i in range(75_000)}}, 413),
            # just under it: parsed, then refused by the item limit
            "items": ({**DECLARATION, "name": "c", "components": [{"tag": "x"}] * 24_000}, 422),
            # a problem quoting a huge value
            "value": ({**DECLARATION, "name": "n" * 900_000}, 422),
        }.items()
    }  # fmt: skip


def run(size: Size) -> list[Figure]:
    """Each hostile body's CPU and answer size, and the valid declaration's CPU."""
    inst = Installation("sqlite")
    try:
        with inst.api(workers=1) as url:
            (worker,) = children(inst.processes[-1].pid)  # the API's one gunicorn worker
            headers = {"Authorization": f"Bearer {inst.token}", "Content-Type": "application/json"}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:

                def cost(body: bytes, expected: int) -> tuple[float, int]:
                    """Median worker CPU (s) of `repeats` POSTs of `body`, and answer size."""
                    spent, size_of = [], 0
                    for _ in range(size.repeats):
                        before = cpu_seconds(worker)
                        answer = client.post("/v3/assembly_factory", content=body)
                        spent.append(cpu_seconds(worker) - before)
                        assert answer.status_code == expected, answer.text[:200]
                        size_of = len(answer.content)
                    return statistics.median(spent), size_of

                valid = [json.dumps({**DECLARATION, "name": f"ok-{n}"}).encode()
                         for n in range(size.repeats + 1)]  # fmt: skip
                client.post("/v3/assembly_factory", content=valid.pop())  # warm up
                idle_rss = memory_mb(worker)
                valid_cpu = statistics.median(_one(client, worker, body) for body in valid)
                found = [Figure("abuse.valid.cpu_ms", valid_cpu * 1000, "ms",
                                note="a valid declaration, the peer")]  # fmt: skip
                for name, (body, status) in bodies().items():
                    cpu, answer_size = cost(body, status)
                    found += [
                        Figure(f"abuse.{name}.cpu_ms", cpu * 1000, "ms", 100.0),
                        Figure(f"abuse.{name}.answer_kb", answer_size / 1024, "KB", 64.0),
                        Figure(
                            f"abuse.{name}.ratio",
                            cpu / max(valid_cpu, 1e-3),
                            "ratio",
                            note="to the valid declaration's CPU",
                        ),
                    ]
                growth = (memory_mb(worker) - idle_rss) / idle_rss * 100
                found.append(Figure("abuse.rss_growth", growth, "%", 10.0,
                                    note="worker memory after the attacks, to before"))  # fmt: skip
                return found
    finally:
        inst.close()


def _one(client: httpx.Client, worker: int, body: bytes) -> float:
    """The worker CPU (s) of one valid declaration."""
    before = cpu_seconds(worker)
    answer = client.post("/v3/assembly_factory", content=body)
    assert answer.status_code == 201, answer.text[:200]
    return cpu_seconds(worker) - before
