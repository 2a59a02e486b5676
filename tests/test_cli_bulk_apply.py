"""`vertice apply -f` of many assemblies: batches of declarations, through a real `vertice
serve`, with the same lines as one request per document, in the files' order, and
progress on standard error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vertice_api.cli import bulk
from vertice_api.client import Client
from vertice_testing.cli import VerticeCli, lines, write
from vertice_testing.server import LiveServer, running_server

PLAN = "/v3/plan/1_virtualmachine_ubuntu"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("cli-bulk")) as live:
        yield live


def assembly(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "plan_uri": PLAN, "region": "local", "flavor": "small", **fields}


def stored(api: Client, prefix: str) -> dict[str, dict[str, Any]]:
    found = {}
    for item in api.items("/v3/assembly_factory", sort="+name"):
        if item["name"].startswith(prefix):
            found[item["name"]] = api.get(item["uri"])
    return found


def test_many_assemblies_go_in_batches_with_each_documents_line_in_order(
    cli: VerticeCli, api: Client, tmp_path, monkeypatch
):
    monkeypatch.setattr(bulk, "CHUNK", 7)  # 30 documents: 5 batches, 2 in flight
    api.declare(assembly("bk-05", description="before"))
    documents = [assembly(f"bk-{i:02d}", tags=["bulk"]) for i in range(30)]
    documents[5]["description"] = "after"  # exists: updated, not created
    documents[11]["plan_uri"] = "/v3/plan/no_such_plan"  # refused: its own line
    documents[12]["flavor"] = 7  # malformed: refused alike
    documents[20] = {"kind": "region", "name": "bk-east", "cloud_type": "sim"}  # goes first
    path = write(tmp_path / "many.yaml", documents, fmt="yaml")

    result = cli("apply", "-f", path, code=1)

    out = lines(result.stdout)
    created = [i for i in range(30) if i not in (5, 11, 12, 20)]
    assert out[0].startswith("region/bk-east created"), out  # kinds first
    shown = {line.split()[0]: line for line in out[1:]}
    assert list(shown) == [f"bk-{i:02d}" for i in sorted([*created, 5])], out  # files' order
    assert all(" created (asm-" in shown[f"bk-{i:02d}"] for i in created), out
    assert shown["bk-05"] == "bk-05 configured (description, tags)"
    errors = lines(result.stderr)
    assert any("bk-11" in e and "no_such_plan" in e for e in errors), errors
    assert any("bk-12" in e and "$.flavor" in e for e in errors), errors
    assert "error: 2 of 30 declarations failed" in errors
    progress = [e for e in errors if e.startswith("applying assemblies:")]
    assert progress[-1].startswith("applying assemblies: 29/29 ("), progress
    assert len(progress) == 5  # one line a batch (standard error is no terminal)

    found = stored(api, "bk-")
    assert sorted(found) == sorted(f"bk-{i:02d}" for i in [*created, 5])
    assert found["bk-05"]["description"] == "after"
    assert found["bk-00"]["tags"] == ["bulk"]


def test_applying_the_same_files_again_changes_nothing(cli: VerticeCli, api: Client, tmp_path,
                                                        monkeypatch):  # fmt: skip
    monkeypatch.setattr(bulk, "CHUNK", 4)
    path = write(tmp_path / "again.yaml", [assembly(f"ag-{i}") for i in range(9)], fmt="yaml")
    first = lines(cli("apply", "-f", path).stdout)
    assert all(" created " in line for line in first) and len(first) == 9
    again = lines(cli("apply", "-f", path).stdout)
    assert again == [f"ag-{i} unchanged" for i in range(9)], again
    assert len(stored(api, "ag-")) == 9


def test_chunks_keep_to_the_count_and_the_bytes(monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 3)
    monkeypatch.setattr(bulk, "CHUNK_BYTES", 1_200)  # two of the big ones (about 510 bytes)
    small = [bulk.Pending(None, assembly(f"s{i}"), ()) for i in range(7)]  # type: ignore[arg-type]
    assert [len(c) for c in bulk.chunks(small)] == [3, 3, 1]
    big = [bulk.Pending(None, assembly(f"b{i}", description="x" * 400), ())  # type: ignore[arg-type]
           for i in range(5)]  # fmt: skip
    assert [len(c) for c in bulk.chunks(big)] == [2, 2, 1]
