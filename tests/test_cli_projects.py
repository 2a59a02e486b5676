"""`vertice projects [create|invite]` and `vertice invitations [accept|decline]` through a
real `vertice serve`: a member invites, the invited user accepts or declines."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from vertice_testing.cli import VerticeCli, lines
from vertice_testing.server import LiveServer, running_server
from vertice_testing.waiting import until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-projects")) as live:
        yield live


def test_a_member_invites_and_the_user_accepts_or_declines(cli, api, server, tmp_path):
    bob_token = api.post("/v3/users", {"name": "bob"})["token"]
    bob = VerticeCli(server.url, bob_token, tmp_path / "bob")
    assert lines(cli("projects", "create", "team", "--description", "the team").stdout) == [
        "project team created"
    ]
    assert lines(cli("projects", "invite", "team", "bob", "carol").stdout) == [
        "bob invited to team", "carol invited to team"]  # fmt: skip
    row = next(line.split() for line in lines(cli("projects").stdout) if line.startswith("team"))
    assert row[:3] == ["team", "admin", "bob,"] and row[3] == "carol"

    (invitation,) = json.loads(bob("invitations", "-o", "json").stdout)
    assert (invitation["project"], invitation["invited_by"]) == ("team", "admin")
    listed = lines(bob("invitations").stdout)
    assert listed[0].split() == ["ID", "PROJECT", "INVITED", "BY", "SINCE"]
    assert listed[1].split()[:3] == [invitation["name"], "team", "admin"]
    assert lines(bob("invitations", "accept", invitation["name"]).stdout) == [
        "you are a member of team"
    ]
    # each API worker caches a token's caller for 5 s: bob's projects may show it later
    until(lambda: "team" in [p["name"] for p in json.loads(bob("projects", "-o", "json").stdout)],
          "team among bob's projects", 15)  # fmt: skip

    cli("projects", "invite", "team", "dave")
    again = bob.run("invitations", "accept", invitation["name"])
    assert again.returncode != 0 and again.stderr.startswith("error: ")
    dave = api.post("/v3/users", {"name": "dave"})["token"]
    dave_cli = VerticeCli(server.url, dave, tmp_path / "dave")
    (for_dave,) = json.loads(dave_cli("invitations", "-o", "json").stdout)
    assert lines(dave_cli("invitations", "decline", for_dave["name"]).stdout) == [
        f"invitation {for_dave['name']} declined"
    ]
    assert dave_cli("invitations").stderr.strip() == "(none)"
