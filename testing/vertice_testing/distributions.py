"""Distributions installed by hand into a folder on `sys.path`, as `pip install --target`
leaves them: a `.dist-info` (its METADATA and `entry_points.txt`) beside the modules.

Quicker than building a wheel, and enough for anything that finds plugins by entry
point: a test installs a driver while a process runs, or installs a broken one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def install_distribution(
    folder: Path,
    name: str,
    version: str,
    entry_points: Mapping[str, Mapping[str, str]],
    modules: Mapping[str, str] | None = None,
) -> Path:
    """Write distribution `name` `version` into `folder`: its entry points by group
    (`{group: {name: "module:object"}}`) and its modules (`{file name: source}`).
    Returns the `.dist-info` folder. The metadata is written last, so a process
    scanning the folder never finds the entry points before the modules."""
    for file, source in (modules or {}).items():
        (folder / file).write_text(source)
    dist = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    staged = folder / f".{dist.name}.partial"
    staged.mkdir()
    (staged / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    sections = (
        f"[{group}]\n" + "".join(f"{ep} = {target}\n" for ep, target in points.items())
        for group, points in entry_points.items()
    )
    (staged / "entry_points.txt").write_text("\n".join(sections))
    staged.rename(dist)
    return dist
