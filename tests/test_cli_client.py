"""The `vertice` client commands drive assemblies through a real `vertice serve`.

One server (gunicorn and the reconciler, on SQLite) serves the whole module;
every test uses its own assembly names. The commands run in-process with
click's CliRunner, or as the `vertice` console script, and talk real HTTP.
"""

from __future__ import annotations

import json
import queue
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from vertice_api.client import ApiError, Client
from vertice_testing.cli import FAST_RECONCILER, lines, write
from vertice_testing.server import LiveServer, running_server

pytestmark = pytest.mark.slow

PLAN = "/v3/plan/1_virtualmachine_ubuntu"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-live"), FAST_RECONCILER) as live:
        with Client(live.url, live.token) as api:
            # `booting`: instances take a second to boot, so a wait sees phases change.
            api.post(
                "/v3/regions",
                {"name": "booting", "cloud_type": "sim", "settings": {"boot_time": 1}},
            )
            api.post(
                "/v3/regions",
                {"name": "broken", "cloud_type": "sim", "settings": {"images": ["no-such-image"]}},
            )
            api.post(
                "/v3/regions", {"name": "slow", "cloud_type": "sim", "settings": {"boot_time": 120}}
            )
        yield live


def declaration(name: str, region: str = "local", **extra: Any) -> dict[str, Any]:
    return {"name": name, "plan_uri": PLAN, "region": region, "flavor": "small", **extra}


def assembly(api: Client, name: str) -> dict[str, Any]:
    matches = [i for i in api.items("/v3/assembly_factory") if i["name"] == name]
    assert len(matches) == 1, matches
    document: dict[str, Any] = api.get(matches[0]["uri"])
    return document


def test_apply_json_waits_through_the_phases_to_running(cli, api, tmp_path):
    path = write(tmp_path / "web.json", declaration("json-1", "booting", tags=["web"]))
    out = lines(cli("apply", "-f", path, "--wait").stdout)
    assert out[0].startswith("json-1 created (asm-")
    assert out[-1] == "json-1: RUNNING (Running)"
    assert any(line.startswith("json-1: LAUNCHING") for line in out[1:-1]), out
    document = assembly(api, "json-1")
    assert document["status"]["phase"] == "RUNNING"
    assert document["tags"] == ["web"]


def test_apply_yaml_of_many_shows_a_progress_bar(cli, api, tmp_path):
    names = [f"many-{i}" for i in range(5)]
    # A list in the first YAML document, single declarations in the next ones.
    documents = [[declaration(n) for n in names[:3]], declaration(names[3]), declaration(names[4])]
    path = write(tmp_path / "many.yaml", documents, "yaml")
    out = lines(cli("apply", "-f", path, "--wait").stdout)
    assert [line.split()[0] for line in out[:5]] == names
    assert all(" created (asm-" in line for line in out[:5])
    bars = out[5:]
    assert bars[0].endswith("/5 converged")
    assert bars[-1] == f"[{'#' * 30}] 5/5 converged"
    assert not any(": RUNNING" in line for line in bars)  # a bar, not a line per change
    assert {assembly(api, n)["status"]["phase"] for n in names} == {"RUNNING"}


def test_apply_again_patches_what_changed(cli, api, tmp_path):
    # (a changed flavor is refused: tests/test_cli_manifests.py)
    path = write(tmp_path / "a.json", declaration("upd-1"))
    cli("apply", "-f", path, "--wait")
    before = assembly(api, "upd-1")
    changed = declaration("upd-1", description="second", tags=["x", "y"], desired_state="stopped")
    result = cli("apply", "-f", write(tmp_path / "b.yaml", [changed], "yaml"), "--wait")
    out = lines(result.stdout)
    assert out[0] == "upd-1 configured (description, tags, desired_state)"
    assert out[-1] == "upd-1: STOPPED (Stopped)"
    after = assembly(api, "upd-1")
    assert after["id"] == before["id"]
    assert after["generation"] == before["generation"] + 1
    assert (after["description"], after["tags"], after["desired_state"]) == (
        "second",
        ["x", "y"],
        "stopped",
    )
    assert after["flavor"] == "small"
    again = cli("apply", "-f", str(tmp_path / "b.yaml"))
    assert lines(again.stdout) == ["upd-1 unchanged"]
    assert assembly(api, "upd-1")["generation"] == after["generation"]


def test_get_assemblies_as_a_table_json_and_yaml(cli, api, tmp_path):
    cli(
        "apply",
        "-f",
        write(tmp_path / "g.json", [declaration("get-1"), declaration("get-2")]),
        "--wait",
    )
    table = lines(cli("get", "assemblies").stdout)
    assert table[0].split() == ["NAME", "READY", "PHASE", "REGION", "FLAVOR", "ADDRESSES", "AGE"]
    row = next(line.split() for line in table if line.startswith("get-1 "))
    address = assembly(api, "get-1")["status"]["instances"][0]["public_ipv4"]
    assert row[:6] == ["get-1", "1/1", "RUNNING", "local", "small", address]
    assert row[6][-1] in "smhd"
    as_json = json.loads(cli("get", "assemblies", "get-1", "get-2", "-o", "json").stdout)
    assert [d["name"] for d in as_json] == ["get-1", "get-2"]
    assert as_json[0]["status"]["phase"] == "RUNNING"
    as_yaml = yaml.safe_load(cli("get", "assembly", "get-2", "--output", "yaml").stdout)
    assert as_yaml == assembly(api, "get-2"), "one name prints one object, not a list"


def test_describe_shows_spec_status_instances_and_events(cli, api, tmp_path):
    cli(
        "apply",
        "-f",
        write(tmp_path / "d.json", declaration("desc-1", description="shown")),
        "--wait",
    )
    text = cli("describe", "assembly", "desc-1").stdout
    document = assembly(api, "desc-1")
    instance = document["status"]["instances"][0]
    for expected in (
        "Name:          desc-1",
        f"ID:            {document['id']}",
        "Description:   shown",
        "Plan:          1_virtualmachine_ubuntu",
        "Region:        local",
        "Phase:         RUNNING (Running)",
        "Replicas:      1 declared, 1 ready, 1 up to date",
        "Conditions:",
        "Instances:",
        "LAUNCHING -> RUNNING",
    ):
        assert expected in text, expected
    rows = text.split("Instances:")[1].splitlines()
    assert rows[1].split()[:5] == ["ORDINAL", "REGION", "STATE", "FLAVOR", "PUBLIC"]
    assert rows[2].split() == [
        "0", "local", "running", "small", instance["public_ipv4"], instance["private_ipv4"] or "-",
        ",".join(instance["access"]) or "-", instance["key"], instance["cloud_id"],
    ]  # fmt: skip
    assert [line.split()[0] for line in text.split("Conditions:")[1].splitlines()[2:4]] == [
        "Ready",
        "Synced",
    ]


def test_stop_start_restart_and_delete_wait_for_their_phase(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "l.json", declaration("life-1", "booting")), "--wait")
    stopped = lines(cli("stop", "life-1", "--wait").stdout)
    assert stopped[0] == "life-1: stop requested"
    assert stopped[-1] == "life-1: STOPPED (Stopped)"
    # Only what the reconciler wrote after the stop, and never RUNNING: neither the phase it
    # saw before, nor while the stop is under way (STOPPING).
    assert [line for line in stopped if "RUNNING" in line] == [], stopped
    assert assembly(api, "life-1")["desired_state"] == "stopped"
    assert lines(cli("stop", "life-1").stdout) == ["life-1: already desired stopped"]

    started = lines(cli("start", "life-1", "--wait").stdout)
    assert started[-1] == "life-1: RUNNING (Running)"
    assert "life-1: STOPPED (Stopped)" not in started, started
    assert any("LAUNCHING (Starting)" in line or "(Booting)" in line for line in started)

    generation = assembly(api, "life-1")["generation"]
    restarted = lines(cli("restart", "life-1", "--wait").stdout)
    assert restarted[0] == "life-1: restart requested (restart_count 1)"
    # Done once the instances were restarted for restart_count 1 and came back (the
    # `booting` region's reboot takes a second: the wait sees them boot again).
    assert restarted[-1] == "life-1: RUNNING (Running) [restarts done 1/1]", restarted
    assert "life-1: LAUNCHING (Booting) [restarts done 1/1]" in restarted, restarted
    after = assembly(api, "life-1")
    assert after["restart_count"] == 1
    assert after["status"]["observed_generation"] == generation + 1
    assert after["status"]["restarts_done"] == 1
    events = api.get(after["events_uri"])["items"]
    assert [e["type"] for e in events if e["reason"] == "Restarted"] == ["Normal"]
    assert [e for e in events if e["type"] == "Warning"] == []

    deleted = lines(cli("delete", "life-1", "--wait").stdout)
    assert deleted[0] == "life-1: delete requested"
    assert deleted[-1] == "life-1: deleted"
    with pytest.raises(ApiError) as gone:
        api.get(after["uri"])
    assert gone.value.status == 404


def test_hard_restart_and_stop_set_their_mode_and_a_plain_one_sets_it_back(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "h.json", declaration("hard-1", "booting")), "--wait")
    restarted = lines(cli("restart", "hard-1", "--hard", "--wait", "--timeout", "60").stdout)
    assert restarted[0] == "hard-1: restart requested (restart_count 1, hard)"
    assert restarted[-1] == "hard-1: RUNNING (Running) [restarts done 1/1]", restarted
    events = api.get(assembly(api, "hard-1")["events_uri"])["items"]
    (said,) = [e["message"] for e in events if e["reason"] == "Restarted"]
    assert said.startswith("restart_count 1: restarted the hard way"), said
    stopped = lines(cli("stop", "hard-1", "--hard", "--wait", "--timeout", "60").stdout)
    assert stopped[0] == "hard-1: stop requested (hard)"
    assert stopped[-1] == "hard-1: STOPPED (Stopped)"
    document = assembly(api, "hard-1")
    assert (document["restart_mode"], document["stop_mode"]) == ("hard", "hard")
    # A plain stop of a stopped assembly still sets the mode back to soft.
    assert lines(cli("stop", "hard-1").stdout) == ["hard-1: stop requested"]
    assert assembly(api, "hard-1")["stop_mode"] == "soft"
    assert lines(cli("stop", "hard-1").stdout) == ["hard-1: already desired stopped"]
    cli("delete", "hard-1", "--wait")


def test_suspend_and_resume(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "s.json", declaration("susp-1", "booting")), "--wait")
    suspended = lines(cli("suspend", "susp-1", "--wait", "--timeout", "60").stdout)
    assert suspended[0] == "susp-1: suspend requested"
    assert suspended[-1] == "susp-1: STOPPED (Stopped)", suspended
    document = assembly(api, "susp-1")
    assert (document["desired_state"], document["stop_mode"]) == ("stopped", "suspend")
    assert lines(cli("suspend", "susp-1").stdout) == ["susp-1: already desired stopped"]
    resumed = lines(cli("resume", "susp-1", "--wait", "--timeout", "60").stdout)
    assert resumed[0] == "susp-1: resume requested"
    assert resumed[-1] == "susp-1: RUNNING (Running)", resumed
    cli("delete", "susp-1", "--wait")


def test_stop_wait_shows_stopping_never_running_while_the_stop_is_under_way(cli, api, tmp_path):
    # `lagging`: every cloud call takes a second, so the status the pass that sends the stop
    # writes stands until the next pass observed the cloud: the wait is sure to see it.
    api.post("/v3/regions", {"name": "lagging", "cloud_type": "sim", "settings": {"latency": 1}})
    cli("apply", "-f", write(tmp_path / "lag.json", declaration("lag-1", "lagging")), "--wait")
    stopped = lines(cli("stop", "lag-1", "--wait").stdout)
    assert stopped[0] == "lag-1: stop requested"
    assert [line for line in stopped if "RUNNING" in line] == [], stopped
    assert stopped[1:] == ["lag-1: STOPPING (Stopping)", "lag-1: STOPPED (Stopped)"], stopped
    cli("delete", "lag-1", "--wait")


def test_replace_waits_until_every_instance_is_new(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "rp.json", declaration("roll-1", replicas=2)), "--wait")
    before = {i["key"] for i in assembly(api, "roll-1")["status"]["instances"]}
    out = lines(cli("replace", "roll-1", "--wait").stdout)
    assert out[0] == "roll-1: replacement requested (replace_count 1)"
    assert out[-1].endswith("[2/2 replaced]"), out
    after = assembly(api, "roll-1")
    keys = {i["key"] for i in after["status"]["instances"]}
    assert len(keys) == 2 and not keys & before
    assert after["status"]["updated_replicas"] == 2


def test_restart_sends_if_match_and_retries_after_a_concurrent_change(
    cli, api, tmp_path, monkeypatch
):
    cli("apply", "-f", write(tmp_path / "r.json", declaration("race-1")), "--wait")
    uri = assembly(api, "race-1")["uri"]
    original = Client.patch
    sent: list[str | None] = []

    def patch_after_someone_else(self, path, operations, etag=None):
        sent.append(etag)
        if len(sent) == 1:  # someone changes the assembly between our read and our write
            original(api, uri, [{"op": "replace", "path": "/description", "value": "meanwhile"}])
        return original(self, path, operations, etag)

    monkeypatch.setattr(Client, "patch", patch_after_someone_else)
    out = lines(cli("restart", "race-1").stdout)
    assert out == ["race-1: restart requested (restart_count 1)"]
    assert len(sent) == 2 and sent[0] and sent[1] and sent[0] != sent[1]  # 412, re-read, retry
    after = assembly(api, "race-1")
    assert (after["restart_count"], after["description"]) == (1, "meanwhile")


def test_a_failed_assembly_fails_the_wait(cli, tmp_path):
    result = cli(
        "apply", "-f", write(tmp_path / "f.json", declaration("fail-1", "broken")), "--wait", code=1
    )
    assert "fail-1: FAILED (ImageNotFound)" in result.stdout
    assert result.stderr.startswith("error: fail-1: FAILED (ImageNotFound): sim: image")


def test_a_wait_that_runs_out_of_time_exits_3(cli, tmp_path):
    path = write(tmp_path / "s.json", declaration("slow-1", "slow"))
    started = time.monotonic()
    result = cli("apply", "-f", path, "--wait", "--timeout", "1.5", code=3)
    assert time.monotonic() - started < 10
    assert "error: timed out after 1.5s waiting for slow-1: LAUNCHING (Booting)" in result.stderr
    cli("delete", "slow-1", "--wait", "--timeout", "30")


def test_a_typo_among_names_changes_nothing(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "t.json", declaration("typo-1")), "--wait")
    result = cli("stop", "typo-1", "typo-nope", code=1)
    assert result.stderr == "error: there is no assembly named 'typo-nope'\n"
    assert assembly(api, "typo-1")["desired_state"] == "running"


def test_a_name_in_two_projects_needs_project(cli, server, api, tmp_path):
    from vertice_testing.server import vertice

    created = vertice("users", "create", "dana", env=server.env).strip().splitlines()
    dana = cli.with_token(created[-1])
    dana_project = created[0].split("project ")[1].strip("'")
    path = write(tmp_path / "dup.json", declaration("dup-1"))
    dana("apply", "-f", path)
    cli("apply", "-f", path)  # the admin's own project
    result = cli("describe", "assembly", "dup-1", code=1)
    assert "'dup-1' names 2 assemblies" in result.stderr
    assert "pass --project" in result.stderr
    assert dana_project in result.stderr
    text = cli("describe", "assembly", "dup-1", "--project", dana_project).stdout
    assert f"Project:       {dana_project}" in text
    # apply finds the one in the project the declaration goes to, and updates it
    changed = write(tmp_path / "dup2.json", declaration("dup-1", description="dana's"))
    out = cli("apply", "-f", changed, "--project", dana_project).stdout
    assert out == "dup-1 configured (description)\n"
    dana_copy = json.loads(dana("get", "assemblies", "dup-1", "-o", "json").stdout)
    assert dana_copy["description"] == "dana's"
    # dana alone sees one dup-1: no ambiguity for her
    assert "dup-1" in dana("get", "assemblies").stdout
    cli("delete", "dup-1", "--project", dana_project, "--wait")
    cli("delete", "dup-1", "--wait")


def test_events_follow_prints_new_events_until_interrupted(cli, tmp_path):
    cli("apply", "-f", write(tmp_path / "e.json", declaration("follow-1")), "--wait")
    follower = cli.popen("events", "follow-1", "--follow", "--interval", "0.2")
    seen: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [seen.put(line) for line in follower.stdout], daemon=True
    )
    reader.start()
    try:
        assert "PENDING -> LAUNCHING" in seen.get(timeout=30)  # the history comes first
        cli("stop", "follow-1")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                line = seen.get(timeout=1)
            except queue.Empty:
                continue
            if "STOPPING -> STOPPED" in line:
                break
        else:
            pytest.fail("the follower never showed the stop")
    finally:
        follower.send_signal(signal.SIGINT)
        code = follower.wait(timeout=10)
    assert code == 0
    assert "Traceback" not in follower.stderr.read()


def test_events_follow_ends_when_the_assembly_is_gone(cli, tmp_path):
    cli("apply", "-f", write(tmp_path / "g.json", declaration("gone-1")), "--wait")
    follower = cli.popen("events", "gone-1", "--follow", "--interval", "0.2")
    time.sleep(1)
    cli("delete", "gone-1", "--wait")
    out, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    assert out.splitlines()[-1] == "gone-1 is gone"


def test_scale_patches_replicas_with_if_match(cli, api, tmp_path, monkeypatch):
    cli("apply", "-f", write(tmp_path / "s.json", declaration("scale-1")), "--wait")
    before = assembly(api, "scale-1")
    original = Client.patch
    sent: list[tuple[list[dict[str, Any]], str | None]] = []

    def patch_after_someone_else(self, path, operations, etag=None):
        sent.append((operations, etag))
        if len(sent) == 1:  # someone changes the assembly between our read and our write
            original(api, path, [{"op": "replace", "path": "/description", "value": "meanwhile"}])
        return original(self, path, operations, etag)

    monkeypatch.setattr(Client, "patch", patch_after_someone_else)
    out = lines(cli("scale", "scale-1", "--replicas", "3").stdout)
    assert out == ["scale-1: scale to 3 requested"]
    assert [ops for ops, _ in sent] == [[{"op": "replace", "path": "/replicas", "value": 3}]] * 2
    assert sent[0][1] and sent[1][1] and sent[0][1] != sent[1][1]  # 412, re-read, retry
    after = assembly(api, "scale-1")
    assert (after["replicas"], after["description"]) == (3, "meanwhile")
    assert after["generation"] == before["generation"] + 2
    monkeypatch.undo()
    assert lines(cli("scale", "scale-1", "--replicas", "3").stdout) == [
        "scale-1: already 3 replicas"
    ]
    cli("delete", "scale-1", "--wait")


def test_scale_refuses_bad_numbers_and_changes_nothing(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "b.json", declaration("scale-bad")))
    generation = assembly(api, "scale-bad")["generation"]
    for value in ("-1", "two", "1.5"):
        assert (
            "Invalid value for '--replicas'"
            in cli("scale", "scale-bad", "--replicas", value, code=2).stderr
        )
    assert "Missing option '--replicas'" in cli("scale", "scale-bad", code=2).stderr
    over = cli("scale", "scale-bad", "--replicas", "101", code=1)
    assert over.stderr.startswith("error: 422 Invalid input: $.replicas: must be at most 100")
    assert over.stderr.count("\n") == 1
    assert assembly(api, "scale-bad")["generation"] == generation
    assert cli("scale", "scale-nope", "--replicas", "1", code=1).stderr == (
        "error: there is no assembly named 'scale-nope'\n"
    )


def test_resize_patches_the_flavor_and_waits_until_the_instances_run_it(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "r.json", declaration("rs-1", "booting")), "--wait")
    (before,) = assembly(api, "rs-1")["status"]["instances"]
    out = lines(cli("resize", "rs-1", "medium", "--wait", "--timeout", "60").stdout)
    assert out[0] == "rs-1: resize to medium requested"
    assert out[-1].startswith("rs-1: RUNNING")
    after = assembly(api, "rs-1")
    assert after["flavor"] == "medium"
    (instance,) = after["status"]["instances"]
    assert (instance["cloud_id"], instance["flavor"]) == (before["cloud_id"], "medium")
    assert lines(cli("resize", "rs-1", "medium").stdout) == ["rs-1: already flavor medium"]
    generation = after["generation"]
    refused = cli("resize", "rs-1", "enormous", code=1)
    assert refused.stderr == (
        "error: 422 Invalid input: $.flavor: there is no flavor named 'enormous'\n"
    )
    assert assembly(api, "rs-1")["generation"] == generation
    cli("delete", "rs-1", "--wait")


def test_apply_patches_replicas_of_an_existing_assembly(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "a.json", declaration("rep-1")))
    out = lines(
        cli("apply", "-f", write(tmp_path / "b.json", declaration("rep-1", replicas=4))).stdout
    )
    assert out == ["rep-1 configured (replicas)"]
    assert assembly(api, "rep-1")["replicas"] == 4
    fresh = lines(
        cli("apply", "-f", write(tmp_path / "c.json", declaration("rep-0", replicas=0))).stdout
    )
    assert fresh[0].startswith("rep-0 created (asm-")
    assert assembly(api, "rep-0")["replicas"] == 0


def test_scale_waits_until_every_replica_is_ready(cli, api, tmp_path):
    """Needs the reconciler that runs `replicas` instances."""
    cli("apply", "-f", write(tmp_path / "w.json", declaration("grow-1", "booting")), "--wait")
    out = lines(cli("scale", "grow-1", "--replicas", "3", "--wait", "--timeout", "60").stdout)
    assert out[0] == "grow-1: scale to 3 requested"
    assert out[-1].endswith("[3/3 ready]")
    assert any("/3 ready]" in line and not line.endswith("[3/3 ready]") for line in out[1:-1])
    table = lines(cli("get", "assemblies", "grow-1").stdout)
    assert table[1].split()[:2] == ["grow-1", "3/3"]
    described = cli("describe", "assembly", "grow-1").stdout.split("Instances:")[1]
    assert [row.split()[0] for row in described.splitlines()[2:5]] == ["0", "1", "2"]
    down = lines(cli("scale", "grow-1", "--replicas", "1", "--wait", "--timeout", "60").stdout)
    assert down[-1].endswith("[1/1 ready]")
    assert len(assembly(api, "grow-1")["status"]["instances"]) == 1


def test_apply_shows_generated_inputs_once_patches_plain_ones_and_rotate_makes_new_ones(
    cli, api, tmp_path
):
    db = {"name": "inp-db", "plan_uri": "/v3/plan/6_database_postgresql", "region": "local",
          "flavor": "small", "inputs": {"database": "shop"}}  # fmt: skip
    out = lines(cli("apply", "-f", write(tmp_path / "db.json", db)).stdout)
    assert out[0].startswith("inp-db created (asm-")
    (shown,) = [line for line in out if line.strip().startswith("password:")]
    password = shown.split()[1]
    assert len(password) == 24 and "shown this once" in shown
    document = assembly(api, "inp-db")
    assert document["inputs"]["database"] == "shop" and password not in json.dumps(document)

    # a plain input the file says otherwise is patched; a secret one is left as it is
    db["inputs"] = {"database": "shop2", "password": "from-the-file"}
    result = cli("apply", "-f", write(tmp_path / "db2.json", db))
    assert lines(result.stdout) == ["inp-db configured (inputs)"]
    assert "secret inputs are never read back" in result.stderr and "password" in result.stderr
    after = assembly(api, "inp-db")
    assert after["inputs"]["database"] == "shop2"
    assert after["replace_count"] == document["replace_count"] + 1
    assert lines(cli("apply", "-f", str(tmp_path / "db2.json")).stdout) == ["inp-db unchanged"]

    rotated = lines(cli("rotate", "inp-db", "password", "database").stdout)
    new = rotated[0].split()[2]
    assert rotated[0].startswith("inp-db: password: ") and new != password
    assert rotated[1] == "inp-db: database: back to the plan's default 'app'"
    assert (
        rotated[2] == f"inp-db: replacement requested (replace_count {after['replace_count'] + 1})"
    )
    assert new not in json.dumps(assembly(api, "inp-db"))

    failed = cli("rotate", "inp-db", "nope", code=1)
    assert "error: inp-db has no input nope (it has: user, database, password)" in failed.stderr
