"""The plugin as installed: its entry point, its light module, its listing and class."""

from __future__ import annotations

from vertice_testing.packaging import PluginPackaging


class TestDockerPlugin(PluginPackaging):
    cloud_type = "docker"
    distribution = "vertice-driver-docker"
    driver_class = "DockerDriver"
    settings_class = "DockerSettings"
    sdk_modules = ("docker",)

    # The engine's TLS client key is the docker region's secret; that it is sealed and
    # never shown is checked against a real TLS engine in test_docker_errors.py.
    test_credentials_are_sealed_and_never_returned = None
