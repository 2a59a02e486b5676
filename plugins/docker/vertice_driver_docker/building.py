"""The docker plugin's builders, as the `vertice.builders` entry points name them.

Cheap to import on purpose (no docker SDK): the build controller reads these
descriptions to pick a builder for a region, and imports the builder itself
(`vertice_driver_docker.builders`) only when a build runs. When a source names
no recipe, the controller asks them in `priority` order: a Dockerfile wins,
then a Python project, a Node project, and last a static site (a Node project
often holds an `index.html` in `public/` that its server serves).
"""

from __future__ import annotations

from vertice_core.builder import BuilderInfo

__all__ = ["DOCKERFILE", "NODE", "PYTHON", "STATIC"]

_DOCKER = frozenset({"docker"})

DOCKERFILE = BuilderInfo(
    name="dockerfile",
    factory="vertice_driver_docker.builders:DockerfileBuilder",
    cloud_types=_DOCKER,
    priority=10,
    description="the tree's own Dockerfile, built by the region's engine",
)

PYTHON = BuilderInfo(
    name="python",
    factory="vertice_driver_docker.builders:PythonBuilder",
    cloud_types=_DOCKER,
    priority=50,
    description="requirements.txt or pyproject.toml: wheels fetched on the host, gunicorn or "
    "the Procfile's web command, on the offline Python base image",
)

NODE = BuilderInfo(
    name="node",
    factory="vertice_driver_docker.builders:NodeBuilder",
    cloud_types=_DOCKER,
    priority=60,
    description="package.json: `npm ci` on the host, `npm start`'s script or `node <main>`, "
    "on the offline Node base image",
)

STATIC = BuilderInfo(
    name="static",
    factory="vertice_driver_docker.builders:StaticBuilder",
    cloud_types=_DOCKER,
    priority=90,
    description="index.html at the root or in public/ or dist/, served by busybox httpd",
)
