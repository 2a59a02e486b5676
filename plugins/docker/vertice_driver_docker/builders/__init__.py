"""The docker plugin's builders (imports the docker SDK: named by `building`'s entry points).

* `dockerfile.DockerfileBuilder`: the tree's own Dockerfile; the path every build
  takes to the engine (context, stream, deadline, cancel, errors);
* `recipe`: what the recipes share (a generated Dockerfile on an offline base image,
  host tools stopped with the build, Procfiles); the recipes `python.PythonBuilder`,
  `node.NodeBuilder` and `static.StaticBuilder` only write a context and a Dockerfile;
* `context`: the build context writer (bounded, no `.git`, no link followed);
* `stopping`: the deadline's watchdog and `cancel`.
"""

from __future__ import annotations

from vertice_driver_docker.builders.dockerfile import DockerfileBuilder
from vertice_driver_docker.builders.node import NodeBuilder
from vertice_driver_docker.builders.python import PythonBuilder
from vertice_driver_docker.builders.static import StaticBuilder

__all__ = ["DockerfileBuilder", "NodeBuilder", "PythonBuilder", "StaticBuilder"]
