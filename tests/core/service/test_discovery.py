"""Prometheus targets: one group per running instance with an address, by ordinal (pure)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from vertice_core.service.discovery import target_groups


def assembly(instances: list[dict[str, Any]], **changes: Any) -> SimpleNamespace:
    columns = {
        "id": "asm-1", "name": "web", "plan_name": "p", "region_name": "local",
        "flavor_name": "small", "spec": {}, "phase": "RUNNING", "reason": "", "message": "",
        "status": {"conditions": [], "instances": instances}, "observed_generation": 1,
        "restarts_done": 0,
        "desired_state": "running", "replicas": len(instances),
    }  # fmt: skip
    return SimpleNamespace(**{**columns, **changes})


def instance(ordinal: int, state: str = "running", public: str = "", private: str = ""):
    return {"key": f"k{ordinal}", "cloud_id": f"c{ordinal}", "state": state,
            "ordinal": ordinal, "public_ipv4": public, "private_ipv4": private}  # fmt: skip


def test_one_group_per_running_instance_labelled_with_its_ordinal():
    row = assembly([
        instance(2, public="203.0.113.3"),
        instance(0, public="203.0.113.1", private="10.0.0.1"),
        instance(1, private="10.0.0.2"),
        instance(3, state="pending", public="203.0.113.4"),
        instance(4),
    ])  # fmt: skip
    groups = target_groups([(row, "proj", "sim")], {"p": 9100})
    assert [g.targets for g in groups] == [
        ["203.0.113.1:9100"], ["10.0.0.2:9100"], ["203.0.113.3:9100"]
    ]  # fmt: skip
    assert [g.labels["__meta_vertice_instance"] for g in groups] == ["0", "1", "2"]
    assert groups[0].labels == {
        "__meta_vertice_project": "proj", "__meta_vertice_assembly": "asm-1",
        "__meta_vertice_assembly_name": "web", "__meta_vertice_region": "local",
        "__meta_vertice_cloud_type": "sim", "__meta_vertice_plan": "p",
        "__meta_vertice_flavor": "small", "__meta_vertice_instance": "0",
    }  # fmt: skip


def test_the_assemblys_port_wins_over_the_plans():
    row = assembly([instance(0, public="203.0.113.1")], spec={"metrics_port": 9200})
    (group,) = target_groups([(row, "proj", "sim")], {"p": 9300})
    assert group.targets == ["203.0.113.1:9200"]
    (group,) = target_groups([(assembly([instance(0, public="203.0.113.1")]), "x", "sim")], {})
    assert group.targets == ["203.0.113.1:9100"]


def test_a_port_the_plan_publishes_is_scraped_at_its_published_address():
    # a container publishes its ports 8080 and 9090 on host ports of their own
    published = {**instance(0, public="127.0.0.1", private="172.17.0.2"),
                 "access": ["127.0.0.1:32768", "127.0.0.1:32769"]}  # fmt: skip
    row = assembly([published], spec={"metrics_port": 9090})
    (group,) = target_groups([(row, "proj", "docker")], {}, {"p": [8080, 9090]})
    assert group.targets == ["127.0.0.1:32769"]
    # a port the plan does not publish: the instance's address, as before
    (group,) = target_groups([(row, "proj", "docker")], {}, {"p": [8080]})
    assert group.targets == ["127.0.0.1:9090"]
