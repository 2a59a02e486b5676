"""`vertice get|describe|delete KIND` for every kind of the API, through a real `vertice serve`.

Every kind lists as a table (`-o wide`: more columns), as the API's documents
(`-o json|yaml`, one NAME: its object) and as `kind/name` lines (`-o name`);
`describe` shows one item; `delete` deletes, and refuses (the API's 403, as one
line) what only administrators may delete. `get assemblies -l` selects by tags,
`--watch` prints again when something changes, `tokens revoke` makes a token
useless, `projects create` takes the name given (or has one made up).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from vertice_api.client import Client
from vertice_testing.cli import FAST_RECONCILER, VerticeCli, lines, write
from vertice_testing.server import LiveServer, running_server, vertice

pytestmark = pytest.mark.slow

PLAN = "/v3/plan/1_virtualmachine_ubuntu"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k@h"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-kinds"), FAST_RECONCILER) as live:
        yield live


@pytest.fixture
def bob(api: Client, server: LiveServer, tmp_path: Path) -> VerticeCli:
    """A user who is no administrator (a new one for each test)."""
    name = f"bob{time.monotonic_ns() % 10**9}"
    token = api.post("/v3/users", {"name": name})["token"]
    return VerticeCli(server.url, token, tmp_path / "bob")


def declaration(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "plan_uri": PLAN, "region": "local", "flavor": "small", **extra}


def as_json(cli: VerticeCli, *args: str) -> Any:
    return json.loads(cli("get", *args, "-o", "json").stdout)


@pytest.mark.parametrize(
    ("kind", "name", "headers", "wide"),
    [
        ("plans", "1_virtualmachine_ubuntu", ["NAME", "DESCRIPTION"], []),
        ("regions", "local", ["NAME", "CLOUD", "TYPE", "PROVIDER", "REGION", "DESCRIPTION"],
         ["ENDPOINT", "AGE"]),
        ("flavors", "small", ["NAME", "CPU", "RAM", "DISK", "REGIONS", "PRICE/HOUR",
                              "STOPPED/HOUR"],
         ["DESCRIPTION"]),
        ("users", "admin", ["NAME", "ADMIN", "PROJECTS", "AGE"], ["CREATED"]),
    ],
)  # fmt: skip
def test_a_catalog_kind_lists_prints_and_describes(cli, kind, name, headers, wide):
    table = lines(cli("get", kind).stdout)
    assert table[0].split() == headers
    assert name in [line.split()[0] for line in table[1:]]
    assert lines(cli("get", kind, "-o", "wide").stdout)[0].split() == headers + wide
    singular = kind.removesuffix("s")
    assert f"{singular}/{name}" in lines(cli("get", kind, "-o", "name").stdout)
    assert name in [item["name"] for item in as_json(cli, kind)]
    one = yaml.safe_load(cli("get", singular, name, "-o", "yaml").stdout)
    assert isinstance(one, dict) and one["name"] == name, "one NAME prints its object"
    page = cli("describe", singular, name).stdout
    assert page.splitlines()[0].split() == ["Uri:", one["uri"]]
    assert any(line.split() == ["Name:", name] for line in page.splitlines())


def test_a_missing_item_is_one_line(cli):
    result = cli("get", "flavor", "no-such-flavor", code=1)
    assert result.output.startswith("error: 404 ")
    assert len(result.output.splitlines()) == 1


def test_admin_kinds_are_deleted_by_admins_and_refused_to_others(cli, api, bob):
    api.post("/v3/regions", {"name": "doomed", "cloud_type": "sim"})
    api.post("/v3/flavors", {"name": "tiny", "cpu": 1, "ram": 256, "disk": 1})
    user = as_json(bob, "tokens")[0]["user"]
    for kind, name in (("region", "doomed"), ("flavor", "tiny"), ("user", user)):
        refused = bob.run("delete", kind, name)
        assert refused.returncode == 1, refused
        assert refused.stderr.startswith("error: 403 Forbidden"), refused.stderr
        assert len(refused.stderr.splitlines()) == 1 and not refused.stdout
    assert "region/doomed" in cli("get", "regions", "-o", "name").stdout
    assert lines(cli("delete", "region", "doomed").stdout) == ["region doomed: deleted"]
    assert lines(cli("delete", "flavors", "tiny").stdout) == ["flavor tiny: deleted"]
    assert "region/doomed" not in cli("get", "regions", "-o", "name").stdout
    assert lines(cli("delete", "user", user).stdout) == [f"user {user}: deleted"]
    deadline = time.monotonic() + 15  # a worker may have cached the caller for a few seconds
    while bob.run("get", "plans").returncode == 0:
        assert time.monotonic() < deadline, "a deleted user's token still works"
        time.sleep(0.5)


def test_users_are_listed_for_admins_only(cli, bob):
    assert "admin" in [u["name"] for u in as_json(cli, "users")]
    refused = bob.run("get", "users")
    assert refused.returncode == 1 and refused.stderr.startswith("error: 403 Forbidden")


def test_users_list_on_the_server_prints_the_table_of_get_users(cli, bob, server):
    """`vertice users list` reads the local database and prints what `get users` prints
    from the API (issue 16)."""
    local = vertice("users", "list", env=server.env)
    remote = cli("get", "users").stdout
    without_age = [line.rsplit(maxsplit=1)[0] for line in lines(local)]
    assert without_age == [line.rsplit(maxsplit=1)[0] for line in lines(remote)]
    assert lines(local)[0].split() == ["NAME", "ADMIN", "PROJECTS", "AGE"]
    assert json.loads(vertice("users", "list", "-o", "json", env=server.env)) == as_json(
        cli, "users"
    )


def test_sshkeys_get_describe_delete(cli, api):
    project = next(p["name"] for p in as_json(cli, "projects") if p["owner"] == "admin")
    assert cli("get", "sshkeys").stderr.strip() == "no sshkeys"
    api.post("/v3/sshkeys", {"name": "laptop", "public_key": KEY, "project": project})
    table = lines(cli("get", "sshkeys", "--project", project).stdout)
    assert table[0].split() == ["NAME", "PROJECT", "FINGERPRINT", "AGE"]
    assert table[1].split()[:2] == ["laptop", project]
    assert lines(cli("get", "sshkeys", "-o", "name").stdout) == ["sshkey/laptop"]
    assert "PUBLIC KEY" in cli("get", "sshkeys", "-o", "wide").stdout
    assert as_json(cli, "sshkey", "laptop")["public_key"] == KEY
    assert "Fingerprint:" in cli("describe", "sshkey", "laptop").stdout
    assert lines(cli("delete", "sshkey", "laptop", "--project", project).stdout) == [
        "sshkey laptop: deleted"
    ]
    assert cli("get", "sshkeys").stderr.strip() == "no sshkeys"


def test_projects_create_with_a_chosen_name_or_a_made_up_one_get_and_delete(cli):
    assert lines(cli("projects", "create", "chosen").stdout) == ["project chosen created"]
    made = lines(cli("projects", "create").stdout)
    assert len(made) == 1 and made[0].startswith("project ") and made[0].endswith(" created")
    generated = made[0].split()[1]
    names = lines(cli("get", "projects", "-o", "name").stdout)
    assert {"project/chosen", f"project/{generated}"} <= set(names)
    assert lines(cli("get", "projects", "-o", "wide").stdout)[0].split() == [
        "NAME", "MEMBERS", "INVITED", "DESCRIPTION", "OWNER", "ID", "AGE"]  # fmt: skip
    assert as_json(cli, "project", "chosen")["owner"] == "admin"
    assert "Members:" in cli("describe", "project", "chosen").stdout
    assert lines(cli("delete", "project", "chosen", generated).stdout) == [
        "project chosen: deleted", f"project {generated}: deleted"]  # fmt: skip
    assert "project/chosen" not in cli("get", "projects", "-o", "name").stdout


def test_tokens_list_and_revoke_then_the_token_is_refused(cli, bob):
    with Client(bob.url or "", bob.token) as as_bob:
        spare = as_bob.post("/v3/tokens", {"name": "spare"})
    listed = lines(bob("tokens", "list").stdout)
    assert listed[0].split() == ["ID", "NAME", "USER", "EXPIRES", "AGE"]
    assert spare["id"] in [line.split()[0] for line in listed[1:]]
    assert f"token/{spare['id']}" in lines(bob("get", "tokens", "-o", "name").stdout)
    assert "spare" not in cli("get", "tokens").stdout, "the admin's own tokens"
    assert spare["id"] in cli("get", "tokens", "--user", spare["user"]).stdout
    assert as_json(bob, "token", spare["id"])["name"] == "spare"
    assert spare["token"] not in bob("get", "tokens", "-o", "yaml").stdout
    spare_cli = bob.with_token(spare["token"])
    spare_cli("get", "plans")
    assert lines(bob("tokens", "revoke", spare["id"]).stdout) == [f"token {spare['id']}: revoked"]
    deadline = time.monotonic() + 15  # a worker may have cached the caller for a few seconds
    while (refused := spare_cli.run("get", "plans")).returncode == 0:
        assert time.monotonic() < deadline, "the revoked token still works"
        time.sleep(0.5)
    assert "the token is unknown, revoked or expired" in refused.stderr
    gone = bob.run("tokens", "revoke", spare["id"])
    assert gone.returncode == 1 and gone.stderr.startswith("error: 404 ")


def test_assemblies_events_and_selectors(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "a.json", [
        declaration("sel-web", tags=["tier=web", "team=a"]),
        declaration("sel-db", tags=["tier=db", "team=a"]),
        declaration("sel-none"),
    ]), "--wait")  # fmt: skip

    def selected(*selectors: str) -> list[str]:
        args = [a for s in selectors for a in ("-l", s)]
        return lines(cli("get", "assemblies", *args, "-o", "name").stdout)

    assert selected("tier=web") == ["assembly/sel-web"]
    assert selected("team=a") == ["assembly/sel-db", "assembly/sel-web"]
    assert selected("team=a", "tier!=web") == ["assembly/sel-db"]
    assert selected("team=a,tier=db") == ["assembly/sel-db"]
    assert selected("tier") == ["assembly/sel-db", "assembly/sel-web"]
    assert selected("tier=cache") == []
    wide = lines(cli("get", "assemblies", "sel-web", "-o", "wide").stdout)
    assert wide[0].split()[-5:] == ["PLAN", "DESIRED", "RESTARTS", "TAGS", "ID"]
    assert wide[1].split()[-5:-1] == ["1_virtualmachine_ubuntu", "running", "0", "tier=web,team=a"]

    events = lines(cli("get", "events", "sel-web").stdout)
    assert events[0].split() == ["TIME", "ASSEMBLY", "TYPE", "REASON", "MESSAGE"]
    assert all(line.split()[1] == "sel-web" for line in events[1:]) and len(events) > 2
    project = api.get(api.get("/v3/assembly_factory", name="sel-db")["items"][0]["uri"])["project"]
    of_project = as_json(cli, "events", "--project", project)
    assert {"sel-web", "sel-db", "sel-none"} <= {e["assembly"] for e in of_project}
    assert [e["time"] for e in of_project] == sorted(e["time"] for e in of_project)
    assert lines(cli("get", "events", "sel-db", "-o", "name").stdout)[0].startswith("event/")
    refused = cli("delete", "event", "1", code=1)
    assert refused.output == "error: events cannot be deleted\n"
    deleted = lines(cli("delete", "assemblies", "sel-web", "sel-db", "sel-none").stdout)
    assert deleted == [f"sel-{n}: delete requested" for n in ("web", "db", "none")]


def test_routes_and_scalers_print_names_and_wide(cli, api, tmp_path):
    cli("apply", "-f", write(tmp_path / "r.json", declaration("kind-r")), "--wait")
    api.post("/v3/routes", {"hostname": "kinds.example.test", "assembly": "kind-r", "port": 80})
    assert lines(cli("get", "routes", "-o", "name").stdout) == ["route/kinds.example.test"]
    wide = lines(cli("get", "route", "kinds.example.test", "-o", "wide").stdout)
    assert wide[0].split()[-3:] == ["PROJECT", "BALANCING", "ID"]
    assert lines(cli("delete", "route", "kinds.example.test").stdout) == [
        "route kinds.example.test: deleted"
    ]
    cli("delete", "kind-r", "--wait")


def test_watch_prints_again_when_an_assembly_changes_until_interrupted(cli, tmp_path):
    cli("apply", "-f", write(tmp_path / "w.json", declaration("watched")), "--wait")
    watcher = cli.popen("get", "assemblies", "watched", "--watch")
    try:
        time.sleep(3)
        cli("stop", "watched", "--wait")
        time.sleep(5)
    finally:
        watcher.send_signal(signal.SIGINT)
        try:
            out, err = watcher.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            watcher.kill()
            raise
    assert watcher.returncode == 0, err
    assert "Traceback" not in err
    tables = [t for t in out.split("\n\n") if t.strip()]
    assert len(tables) >= 2, out
    assert tables[0].splitlines()[1].split()[2] == "RUNNING"
    assert tables[-1].splitlines()[1].split()[2] == "STOPPED"
    for table in tables:
        assert table.splitlines()[0].split()[0] == "NAME"
    cli("delete", "watched", "--wait")
