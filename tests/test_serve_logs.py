"""`vertice serve --log-format json`: gunicorn's lines and vertice's in one format, and an
access log (off by default) of one line per request."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from vertice_testing.server import running_server

pytestmark = pytest.mark.slow


def lines_of(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def test_json_lines_from_gunicorn_and_vertice_and_one_access_line_per_request(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "vertice.toml").write_text("[api]\naccess_log = true\n[log]\nformat = 'text'\n")
    args = ("--config", str(home / "vertice.toml"), "--log-format", "json")
    with running_server(home, args=args) as server:
        for n in range(3):
            assert httpx.get(f"{server.url}/healthz?request={n}").status_code == 200
        deadline = time.monotonic() + 30
        # The reconciler says it started, the workers booted, and each request's access line
        # is written (a worker writes it after the answer is sent: it may come later).
        while time.monotonic() < deadline:
            found = lines_of(server.log)
            loggers = {line["logger"] for line in found}
            logged = sum(1 for n in range(3) for line in found
                         if f"/healthz?request={n}" in line["message"])  # fmt: skip
            if {"vertice.reconcile", "gunicorn.error"} <= loggers and logged >= 3:
                break
            time.sleep(0.2)
        lines = lines_of(server.log)  # every line is JSON: the flag beat the file's `text`
    assert {"vertice.reconcile", "gunicorn.error"} <= {line["logger"] for line in lines}
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys()
    for n in range(3):
        access = [line for line in lines if f"/healthz?request={n}" in line["message"]]
        assert [line["logger"] for line in access] == ["gunicorn.access"]


def test_the_access_log_is_off_by_default(tmp_path):
    with running_server(tmp_path / "home") as server:
        assert httpx.get(f"{server.url}/healthz?request=quiet").status_code == 200
        time.sleep(0.5)
        assert "request=quiet" not in server.log.read_text()
