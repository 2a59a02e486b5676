"""The docker plugin's builders (imports the docker SDK: named by `building`'s entry points).

* `dockerfile.DockerfileBuilder`: the tree's own Dockerfile; the path every build
  takes to the engine (context, stream, deadline, cancel, errors);
* `context`: the build context writer (bounded, no `.git`, no link followed);
* `stopping`: the deadline's watchdog and `cancel`.
"""

from __future__ import annotations

from vertice_driver_docker.builders.dockerfile import DockerfileBuilder

__all__ = ["DockerfileBuilder"]
