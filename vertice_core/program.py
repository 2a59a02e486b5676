"""The program a VM fetches and runs at boot: a source-built assembly in a VM region.

A container region runs a build's image. A VM region has no image to run: its
instances boot the region's operating-system image, so what a build makes
there is a *program*, the exact commit of a public repository, the recipe
that prepares it and the command that serves it, which the VM's cloud-init
fetches, prepares and runs as a systemd unit (`vertice_drivers.cloudinit`).
The VM builders (`vertice_drivers.vmbuild`) check the tree on the control
plane and make it; the reconciler puts it in `InstanceSpec.program`.

A build's result is one string (the release's `image`), so a program is
written as one: pip's form for a repository at a commit,

    git+<url>@<commit>#recipe=<recipe>&start=<command>[&subdirectory=<dir>][&ref=<ref>]

with the fragment's values percent-encoded. It holds everything the VM needs,
so a rollback to an older release runs exactly that release's program.
`ref` is what the VM fetches when the server refuses a commit by its id
(servers that do not allow it; the commit is then checked out of the ref).
"""

from __future__ import annotations

import re
import urllib.parse

import attrs

__all__ = ["PROGRAM_PREFIX", "RECIPES", "Program"]

#: How a program's reference starts (an image's never does).
PROGRAM_PREFIX = "git+"
#: The recipes a VM can prepare.
RECIPES = frozenset({"python", "node", "static"})
#: The port the program listens on (`PORT` in its environment), as the recipes' images.
PORT = 8080

_COMMIT = re.compile(r"[0-9a-f]{40}")


@attrs.frozen
class Program:
    """One program (see the module's docstring)."""

    #: The repository's URL (public: VMs fetch it with no credential).
    url: str
    #: The commit to run (40 hex digits).
    commit: str
    #: `python`, `node` or `static`.
    recipe: str
    #: The shell line that serves the program from its folder (`exec gunicorn ...`).
    start: str
    #: The folder of the repository the program is in ("" for its root).
    subdirectory: str = ""
    #: The branch or tag the commit was built from.
    ref: str = ""
    port: int = PORT

    def reference(self) -> str:
        """The program as one string (see the module's docstring)."""
        fields = {"recipe": self.recipe, "start": self.start}
        fields |= {k: v for k, v in (("subdirectory", self.subdirectory), ("ref", self.ref)) if v}
        fragment = urllib.parse.urlencode(fields, quote_via=urllib.parse.quote)
        return f"{PROGRAM_PREFIX}{self.url}@{self.commit}#{fragment}"

    @classmethod
    def parse(cls, reference: str) -> Program | None:
        """The program `reference` writes; None when it is not one (an image's reference)."""
        if not reference.startswith(PROGRAM_PREFIX):
            return None
        located, _, fragment = reference[len(PROGRAM_PREFIX) :].partition("#")
        url, _, commit = located.rpartition("@")
        fields = dict(urllib.parse.parse_qsl(fragment, keep_blank_values=True))
        recipe, start = fields.get("recipe", ""), fields.get("start", "")
        if not (url and _COMMIT.fullmatch(commit) and recipe in RECIPES and start):
            raise ValueError(f"not a program reference: {reference[:200]!r}")
        return cls(
            url=url,
            commit=commit,
            recipe=recipe,
            start=start,
            subdirectory=fields.get("subdirectory", ""),
            ref=fields.get("ref", ""),
        )
