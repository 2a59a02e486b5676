"""How the CLI shows an assembly placed across regions (pure output functions)."""

from __future__ import annotations

from vertice_api.cli.output import assemblies_table, describe

PLACED = {
    "name": "web",
    "region": "local",
    "flavor": "small",
    "replicas": 3,
    "placement": {"policy": "fallback", "regions": ["local", "east"]},
    "status": {
        "phase": "RUNNING",
        "ready_replicas": 3,
        "instances": [],
        "placement": [
            {"region": "local", "phase": "RUNNING", "reason": "Running", "replicas": 1,
             "ready_replicas": 1, "failed": {"reason": "QuotaExceeded", "message": "full"}},
            {"region": "east", "phase": "RUNNING", "reason": "Running", "replicas": 2,
             "ready_replicas": 2, "failed": None},
        ],
    },
}  # fmt: skip


def test_the_listing_names_every_region_of_a_placement():
    rows = assemblies_table([PLACED, {**PLACED, "name": "one", "placement": None}]).splitlines()
    assert rows[1].split()[:4] == ["web", "3/3", "RUNNING", "local+east"]
    assert rows[2].split()[:4] == ["one", "3/3", "RUNNING", "local"]


def test_describe_shows_the_policy_and_what_each_region_reports():
    text = describe(PLACED, [])
    assert "Placement:     fallback over local, east" in text
    lines = [line.split() for line in text.split("Placement:")[1].splitlines()[1:4]]
    assert lines == [
        ["REGION", "READY", "PHASE", "REASON", "NEW", "INSTANCES"],
        ["local", "1/1", "RUNNING", "Running", "refused:", "QuotaExceeded"],
        ["east", "2/2", "RUNNING", "Running", "-"],
    ]
    before = describe({**PLACED, "status": {"instances": []}}, [])
    assert "(no region has reported yet)" in before
    assert "Placement:" not in describe({**PLACED, "placement": None}, [])
