"""The base images' inputs: apt's Debian sources as this host has them, and stable keys."""

from __future__ import annotations

import hashlib
import json

import attrs

from vertice_driver_docker import baseimages
from vertice_driver_docker.baseimages import BASES, debian_sources

DEB822 = """\
Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
"""
ONE_LINE = """\
# the security mirror
deb [signed-by=/usr/share/keyrings/x.gpg arch=amd64] http://security.example/debian-security bookworm-security main
deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main
deb http://mirror.example/debian trixie main
"""  # noqa: E501


def test_debian_sources_are_the_suites_entries_of_both_formats(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    (tmp_path / "sources.list").write_text(ONE_LINE)

    assert debian_sources("bookworm", tmp_path) == [
        "deb http://security.example/debian-security bookworm-security main",
        "deb http://mirror.example/debian bookworm main contrib",
        "deb http://mirror.example/debian bookworm-updates main contrib",
    ]


def test_a_base_is_keyed_by_its_inputs(monkeypatch):
    python = BASES["python"]
    assert python.reference == f"localhost/vertice-base-python:{python.key[:12]}"
    assert python.key == attrs.evolve(python).key
    assert attrs.evolve(python, packages=(*python.packages, "curl")).key != python.key
    key = python.key
    monkeypatch.setattr(baseimages, "SCRIPT_VERSION", baseimages.SCRIPT_VERSION + 1)
    assert python.key != key


def test_the_bases_are_on_the_engine(base_images, engine_client):
    assert set(base_images) == {"node", "python", "static"}
    for name, reference in base_images.items():
        assert reference.startswith(f"localhost/vertice-base-{name}:")
        assert engine_client.images.get(reference)


def test_the_fields_added_for_the_app_images_keep_the_bases_keys():
    python = BASES["python"]
    fields = attrs.asdict(python)
    assert (fields.pop("files"), fields.pop("repository")) == ((), "vertice-base")
    inputs = fields | {"script_version": baseimages.SCRIPT_VERSION}
    expected = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    assert python.key == expected
    app = attrs.evolve(python, repository="vertice-app", files=(("/x", 0o644, "a"),))
    assert app.reference.startswith("localhost/vertice-app-python:")
    assert attrs.evolve(app, files=(("/x", 0o644, "b"),)).key != app.key
