"""The shared fixtures come from the `vertice_testing` pytest plugin (installed with vertice)."""
