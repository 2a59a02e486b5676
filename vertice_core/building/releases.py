"""Moving an assembly's release: the build whose image its instances run.

A successful build moves it forward (`vertice_core.building.run`), a rollback
moves it back to an earlier successful build (`vertice_core.service.builds`);
either way the image changes in the spec and, when the assembly already ran a
release, `replace_count` is raised so its instances are replaced one at a
time, each new one running (and passing its probe) before the old one drains.
"""

from __future__ import annotations

from typing import Any

import attrs

from vertice_core.store.repositories import AssemblyRepository
from vertice_core.store.tables import AssemblyRow


@attrs.frozen
class Released:
    """A release moved: the revision it replaced (None: the assembly's first)."""

    previous: int | None


def release(
    session: Any, assembly_id: str, *, revision: int, build_id: str, image: str, commit: str,
    back: bool = False,
) -> Released | None:  # fmt: skip
    """Make a build the assembly's release if it is newer than the one it has (or, with
    `back`, older: a rollback): its image is what the instances run; instances of another
    release are replaced one at a time. None when the assembly is gone or being deleted,
    or the release would not move that way."""
    repository = AssemblyRepository(session)
    for _ in range(5):  # the assembly may be changed concurrently: read it again
        row = session.get(AssemblyRow, assembly_id, populate_existing=True)
        if row is None or row.desired_state == "deleted":
            return None
        spec = dict(row.spec or {})
        current = spec.get("release")
        if current is not None and (
            current["revision"] <= revision if back else current["revision"] >= revision
        ):
            return None
        spec["release"] = {"revision": revision, "build_id": build_id, "image": image,
                           "commit": commit}  # fmt: skip
        values: dict[str, Any] = {"spec": spec, "build_wait": None}
        if current is not None:
            values["replace_count"] = row.replace_count + 1
        if repository.change_spec(row.id, row.generation, **values):
            return Released(current["revision"] if current is not None else None)
    return None
