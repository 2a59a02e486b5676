"""Running `wrk` (Debian's package) and reading its report: the benchmarks' load, and the
load of the tests that count failed requests through a proxy."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

import attrs

#: A wrk script that POSTs a new, uniquely named assembly on every request.
POST_SCRIPT = """
local PLAN = "/v3/plan/1_virtualmachine_ubuntu"
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
local prefix = "w"
function init(args)
  thread_id = id
  prefix = args[1] or "w"
end
function request()
  counter = counter + 1
  local body = string.format('{"name": "%s-%d-%d", "plan_uri": "' .. PLAN .. '", ' ..
    '"region": "local", "flavor": "small"}', prefix, thread_id, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["Authorization"] = "Bearer TOKEN"}, body)
end
"""


def post_script(path: Path, token: str) -> Path:
    """Write the POST script, authenticated with `token`, to `path`."""
    path.write_text(POST_SCRIPT.replace("TOKEN", token))
    return path


#: A wrk script that GETs one of PATHS, picked at random (seeded per thread), each request.
GET_SCRIPT = """
local paths = {PATHS}
local thread_id = 0
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  thread_id = id
  math.randomseed(7919 * thread_id + 1)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def get_script(path: Path, paths: Sequence[str]) -> Path:
    """Write a script that GETs one of `paths` at random each request to `path` (the
    request's other headers, such as a token, come from wrk's `-H`)."""
    if not paths or any(not p.startswith("/") or '"' in p or "\\" in p for p in paths):
        raise ValueError("paths: absolute paths without quotes or backslashes, at least one")
    listed = ", ".join(f'"{p}"' for p in paths)
    path.write_text(GET_SCRIPT.replace("{PATHS}", "{" + listed + "}"))
    return path


@attrs.frozen
class WrkResult:
    """What wrk measured."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    seconds: float
    non_2xx: int
    errors: int


def available() -> bool:
    """Whether wrk is installed."""
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def start(
    url: str,
    seconds: int,
    *,
    token: str | None = None,
    script: Path | None = None,
    args: Sequence[str] = (),
    connections: int = 32,
    headers: Sequence[str] = (),
) -> subprocess.Popen[str]:
    """Start wrk with 2 threads and `connections` connections for `seconds` against `url`
    (`args` go to the script's `init`; `headers` are `Name: value` lines)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    extra = ["--", *args] if args else []
    return subprocess.Popen([*command, url, *extra], stdout=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str], *, interrupt: bool = False) -> WrkResult:
    """Wait for wrk (or stop it early with SIGINT, as Ctrl-C would) and read its report."""
    if interrupt:
        process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=660)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed with exit code {process.returncode}: {out[-500:]}")
    # wrk pads some values ("1.01s "): trailing spaces are allowed.
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)[ \t]*$", out, re.M))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        seconds=_ms(re.search(r"requests in ([\d.]+\w+),", out).group(1)) / 1000,  # type: ignore[union-attr]
        non_2xx=int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


def run(
    url: str,
    seconds: int,
    *,
    token: str | None = None,
    script: Path | None = None,
    args: Sequence[str] = (),
    headers: Sequence[str] = (),
) -> WrkResult:
    """wrk with 2 threads and 32 connections for `seconds` against `url`."""
    return finish(start(url, seconds, token=token, script=script, args=args, headers=headers))


def median_run(
    url: str, seconds: int, repeats: int, *, token: str | None = None, script: Path | None = None
) -> WrkResult:
    """`repeats` runs of wrk; the one with the median rate, with the non-2xx responses and
    socket errors of all of them (one bad response in any run shows). Each run's script
    gets its own prefix (`r0`, `r1`...), so that POSTed names never repeat."""
    return median(
        [
            run(url, seconds, token=token, script=script, args=[f"r{i}"])
            for i in range(max(repeats, 1))
        ]
    )


def median(runs: Sequence[WrkResult]) -> WrkResult:
    """The run with the median rate, with the non-2xx responses and socket errors of all."""
    middle = sorted(runs, key=lambda r: r.requests_per_second)[len(runs) // 2]
    return attrs.evolve(
        middle,
        non_2xx=sum(r.non_2xx for r in runs),
        errors=sum(r.errors for r in runs),
    )
