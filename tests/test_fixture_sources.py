"""Every recorded fixture in the repository has its source written beside it.

Each `fixtures/` folder (the core's tests and each plugin's) holds a SOURCES.md
whose table names, in its first column, every file of the folder and nothing
else: where each came from, at which commit, under which licence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = sorted(
    p.parent
    for p in [
        *ROOT.glob("tests/fixtures/SOURCES.md"),
        *ROOT.glob("plugins/*/tests/fixtures/SOURCES.md"),
    ]
)


def listed(sources: Path) -> set[str]:
    """The first cells of the table rows of a SOURCES.md (its header and rule aside)."""
    rows = [line for line in sources.read_text().splitlines() if line.startswith("| ")]
    cells = [row.strip("| ").split(" | ")[0] for row in rows]
    return {cell for cell in cells if cell != "file here" and not cell.startswith("---")}


def test_every_fixtures_folder_has_its_sources() -> None:
    folders = {p.parent for p in ROOT.glob("plugins/*/tests/fixtures/*")} | {
        p.parent for p in ROOT.glob("tests/fixtures/*")
    }
    assert folders == set(FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS, ids=[str(f.relative_to(ROOT)) for f in FOLDERS])
def test_sources_name_exactly_the_files_of_the_folder(folder: Path) -> None:
    files = {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != "SOURCES.md"
    }
    assert listed(folder / "SOURCES.md") == files
