"""Test support for the docker driver: a real engine without a registry.

* `engine`: `shared_engine(folder, dockerd)` starts Debian's `dockerd` on a
  short private folder (unix socket + a TLS port of 127.0.0.1 requiring client
  certificates), shares it between concurrent test sessions and stops it when
  the last one leaves, if tests started it;
* `pki`: the TLS material (a CA, the engine's certificate, a trusted client
  certificate and a rogue one);
* `busybox`: an image made from the host's static busybox, serving a page with
  busybox `httpd` on port 8080.

Used by the plugin's own tests (`plugins/docker/tests/conftest.py`), beside
which it lives, outside the driver's package and its wheel; it needs
`cryptography` (a dependency of vertice) and Debian's `docker.io` and
`busybox-static` packages.
"""
