"""The static site recipe: a folder of files served by busybox `httpd` on `$PORT`.

Detected by an `index.html` at the tree's root, else in `public/`, else in
`dist/` (the first found is the site's root; the folder must be a real folder
of the tree, not a link). The base image is Debian's `busybox-static` alone
(`baseimages`: 2 MB), whose `httpd` serves the folder; nothing is fetched.
"""

from __future__ import annotations

from pathlib import Path

from vertice_core.builder import BuildJob, BuildLog
from vertice_core.building.recipes import site_folder, site_root
from vertice_driver_docker.builders.context import ContextWriter
from vertice_driver_docker.builders.recipe import Plan, RecipeBuilder
from vertice_driver_docker.builders.stopping import Stopper

__all__ = ["StaticBuilder"]


class StaticBuilder(RecipeBuilder):
    """index.html -> the folder it is in, served by busybox httpd."""

    name = "static"
    base = "static"

    def applies(self, tree: Path) -> bool:
        return site_root(tree) is not None

    def plan(self, job: BuildJob, log: BuildLog, writer: ContextWriter, stopper: Stopper) -> Plan:
        folder = site_folder(job.tree)
        log.write(f"The site's root: {folder + '/' if folder else 'the tree itself'}\n")
        writer.add_tree(job.tree / folder, "site/")
        return Plan(
            steps=("COPY site/ /www/",),
            command=("/bin/sh", "-c", 'exec httpd -f -p "$PORT" -h /www'),
        )
