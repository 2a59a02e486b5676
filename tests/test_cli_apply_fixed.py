"""`apply` on an existing assembly refuses what cannot change in place only when the
file really says otherwise (pure: the file's declaration against the stored document)."""

from __future__ import annotations

from vertice_api.cli.assemblies import fixed_differences

STORED = {
    "name": "web",
    "plan_uri": "/v3/plan/1_virtualmachine_ubuntu",
    "region": "local",
    "flavor": "small",
    "metrics_port": None,
    "probe": {"port": 80, "path": "/", "interval": 10.0, "timeout": 2.0, "failure_threshold": 3},
    "placement": {"policy": "spread", "regions": ["local", "east"]},
}


def test_a_file_declaring_what_is_stored_changes_nothing():
    same = {
        "name": "web",
        "plan_uri": "1_virtualmachine_ubuntu",  # the plan by name, as declarations may say
        "region": "local",
        "probe": {"port": 80, "path": "/"},  # the other fields take their defaults
        "placement": {"policy": "spread", "regions": ["local", "east"]},
    }
    assert fixed_differences(same, STORED) == []


def test_each_fixed_attribute_the_file_changes_is_named():
    other = {
        "region": "east",
        "probe": {"port": 81},
        "placement": {"policy": "fallback", "regions": ["local", "east"]},
    }
    assert fixed_differences(other, STORED) == ["region", "probe", "placement"]
