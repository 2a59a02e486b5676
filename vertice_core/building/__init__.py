"""Builds: source (a git commit) made into an image that an assembly's instances run.

`source` fetches a commit under the operator's URL policy; the build controller
(`controller`) runs the builders (`vertice_core.builder`, entry point group
`vertice.builders`) on the controller runtime and records each build.
"""
